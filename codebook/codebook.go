// Package codebook learns and applies k-means codebooks over fixed-width
// float32 vectors (image patches, audio mel frames): deterministic
// k-means++ seeding and parallel Lloyd iterations whose result does not
// depend on the number of workers, nearest-centre assignment with a
// documented float32 distance, and a .npy file format.
package codebook

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Codebook is K centres of Dim float32 values each.
type Codebook struct {
	// K: number of centres; Dim: values per centre.
	K, Dim int
	// Centres is [K*Dim]float32, centre-major: centre k is
	// Centres[k*Dim:(k+1)*Dim].
	Centres []float32
}

// Validate checks K, Dim and len(Centres), and that every value is finite.
func (c *Codebook) Validate() error {
	if c == nil || c.K <= 0 || c.Dim <= 0 || len(c.Centres) != c.K*c.Dim {
		return errors.New("codebook: want K > 0, Dim > 0 and len(Centres) == K*Dim")
	}
	for _, v := range c.Centres {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return errors.New("codebook: non-finite centre value")
		}
	}
	return nil
}

// Dist is the squared euclidean distance Σ (x[i] − c[i])² evaluated in
// float32, i ascending, each product rounded before the add (no FMA). This
// is the distance Nearest minimises.
func Dist(x, c []float32) float32 {
	var s float32
	for i, v := range x {
		d := v - c[i]
		s += float32(d * d)
	}
	return s
}

// Nearest returns the index of the centre closest to x (len(x) == Dim) by
// Dist, the lowest index on ties, and its distance.
func (c *Codebook) Nearest(x []float32) (int, float32) {
	best, bd := 0, float32(math.Inf(1))
	for k := 0; k < c.K; k++ {
		if d := Dist(x, c.Centres[k*c.Dim:(k+1)*c.Dim]); d < bd {
			best, bd = k, d
		}
	}
	return best, bd
}

// Assign writes the nearest centre of each of the len(data)/Dim vectors in
// data to out (len(out) >= len(data)/Dim).
func (c *Codebook) Assign(data []float32, out []int32) {
	for i := 0; (i+1)*c.Dim <= len(data); i++ {
		k, _ := c.Nearest(data[i*c.Dim : (i+1)*c.Dim])
		out[i] = int32(k)
	}
}

// WriteNPY writes the centres as a NumPy .npy file (format 1.0, dtype
// '<f4', C order, shape (K, Dim)): np.load(path) gives the centres.
func (c *Codebook) WriteNPY(w io.Writer) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return writeNPY(w, []int{c.K, c.Dim}, c.Centres)
}

func writeNPY(w io.Writer, shape []int, v []float32) error {
	dims := make([]string, len(shape))
	for i, s := range shape {
		dims[i] = strconv.Itoa(s)
	}
	sh := strings.Join(dims, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	hdr := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", sh)
	pad := 64 - (10+len(hdr)+1)%64
	if pad == 64 {
		pad = 0
	}
	hdr += strings.Repeat(" ", pad) + "\n"
	bw := bufio.NewWriter(w)
	bw.WriteString("\x93NUMPY\x01\x00")
	binary.Write(bw, binary.LittleEndian, uint16(len(hdr)))
	bw.WriteString(hdr)
	var b [4]byte
	for _, x := range v {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		bw.Write(b[:])
	}
	return bw.Flush()
}

var npyHdr = regexp.MustCompile(`'descr':\s*'([<>|]?[a-z]\d+)'.*'fortran_order':\s*(True|False).*'shape':\s*\(([\d,\s]*)\)`)

// ReadMatrix reads a 2-D float matrix from a .npy file (dtype <f4 or <f8,
// C order) or from JSON: a list of rows ([[...], ...]) or an object with a
// "clusters" or "centres" key holding one (e.g. an ImageGPT
// preprocessor_config.json). It returns the rows as float64 (a <f4 value
// converts exactly).
func ReadMatrix(path string) ([][]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(b, []byte("\x93NUMPY")) {
		return parseNPY(b)
	}
	var rows [][]float64
	if err := json.Unmarshal(b, &rows); err == nil {
		return checkRows(rows)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("codebook: %s is neither .npy nor JSON", path)
	}
	for _, k := range []string{"clusters", "centres"} {
		if raw, ok := obj[k]; ok {
			if err := json.Unmarshal(raw, &rows); err != nil {
				return nil, fmt.Errorf("codebook: %s: %q: %v", path, k, err)
			}
			return checkRows(rows)
		}
	}
	return nil, fmt.Errorf("codebook: %s: JSON has no \"clusters\" or \"centres\"", path)
}

func checkRows(rows [][]float64) ([][]float64, error) {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, errors.New("codebook: empty matrix")
	}
	for _, r := range rows {
		if len(r) != len(rows[0]) {
			return nil, errors.New("codebook: ragged matrix")
		}
		for _, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, errors.New("codebook: non-finite value")
			}
		}
	}
	return rows, nil
}

func parseNPY(b []byte) ([][]float64, error) {
	if len(b) < 10 {
		return nil, errors.New("codebook: short .npy")
	}
	var hl, off int
	switch b[6] {
	case 1:
		hl, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, errors.New("codebook: short .npy")
		}
		hl, off = int(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return nil, fmt.Errorf("codebook: .npy version %d", b[6])
	}
	if off+hl > len(b) {
		return nil, errors.New("codebook: short .npy header")
	}
	m := npyHdr.FindStringSubmatch(string(b[off : off+hl]))
	if m == nil || m[2] != "False" {
		return nil, errors.New("codebook: .npy header: want C-order <f4/<f8")
	}
	var shape []int
	for _, f := range strings.Split(m[3], ",") {
		if f = strings.TrimSpace(f); f != "" {
			n, err := strconv.Atoi(f)
			if err != nil {
				return nil, err
			}
			shape = append(shape, n)
		}
	}
	if len(shape) != 2 || shape[0] <= 0 || shape[1] <= 0 {
		return nil, fmt.Errorf("codebook: .npy shape %v: want 2-D", shape)
	}
	var size int
	switch m[1] {
	case "<f4":
		size = 4
	case "<f8":
		size = 8
	default:
		return nil, fmt.Errorf("codebook: .npy dtype %s: want <f4 or <f8", m[1])
	}
	data := b[off+hl:]
	if int64(len(data)) != int64(shape[0])*int64(shape[1])*int64(size) {
		return nil, errors.New("codebook: .npy data size does not match its shape")
	}
	rows := make([][]float64, shape[0])
	for i := range rows {
		rows[i] = make([]float64, shape[1])
		for j := range rows[i] {
			p := data[(i*shape[1]+j)*size:]
			if size == 4 {
				rows[i][j] = float64(math.Float32frombits(binary.LittleEndian.Uint32(p)))
			} else {
				rows[i][j] = math.Float64frombits(binary.LittleEndian.Uint64(p))
			}
		}
	}
	return checkRows(rows)
}

// Load reads a codebook from a .npy or JSON file (ReadMatrix); values are
// rounded to float32.
func Load(path string) (*Codebook, error) {
	rows, err := ReadMatrix(path)
	if err != nil {
		return nil, err
	}
	c := &Codebook{K: len(rows), Dim: len(rows[0]), Centres: make([]float32, 0, len(rows)*len(rows[0]))}
	for _, r := range rows {
		for _, v := range r {
			c.Centres = append(c.Centres, float32(v))
		}
	}
	return c, c.Validate()
}
