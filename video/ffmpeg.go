package video

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Every ffmpeg/ffprobe run goes through runTool/startTool: argument lists
// only (no shell), no stdin, the input opened as "file:PATH" with
// -protocol_whitelist file and a demuxer whitelist, killed when ctx ends
// (exec.CommandContext; WaitDelay bounds the pipe drain) and always waited
// for, so no zombies are left.

// demuxers is the -format_whitelist: the ffmpeg demuxers this package lets
// read an input. Playlist/list demuxers (hls, concat, dash, sdp, rtsp,
// image2, ...) are not in it, so even a file that escaped sniffing cannot
// make ffmpeg open another file or URL.
const demuxers = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,gif,mpegts,mpeg,flv,ogg,asf"

func safeInputArgs(path string) []string {
	return []string{"-protocol_whitelist", "file", "-format_whitelist", demuxers, "-i", "file:" + path}
}

// toolError turns a failed run into ErrCorrupt (or ctx.Err()).
func toolError(ctx context.Context, tool string, err error, stderr []byte) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	msg := cleanToolOutput(string(stderr))
	if len(msg) > 400 {
		msg = msg[:400] + "…"
	}
	return fmt.Errorf("%w: %s: %v: %s", ErrCorrupt, tool, err, msg)
}

var (
	// ffmpeg prefixes log lines with "[demuxer @ 0x55d1…]", a heap address.
	toolAddr = regexp.MustCompile(` @ 0x[0-9a-fA-F]+\]`)
	// The input is a temp copy with a random name (Tokenize's temp file).
	toolTemp = regexp.MustCompile(`(file:)?[^\s'"]*tokenfab-video-[^\s:'"]*`)
)

// cleanToolOutput makes ffmpeg's stderr fit an error row: the same input
// gives the same message on every run (no heap addresses, no temp names),
// so reruns and shards write byte-identical files, and on one line.
func cleanToolOutput(s string) string {
	s = toolAddr.ReplaceAllString(s, "]")
	s = toolTemp.ReplaceAllString(s, "INPUT")
	return strings.Join(strings.Fields(s), " ")
}

// runTool runs bin with args and returns stdout (at most maxOut bytes).
func runTool(ctx context.Context, bin string, args []string, maxOut int64) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = nil
	cmd.WaitDelay = 2 * time.Second
	var out limitedBuffer
	out.max = maxOut
	var errb limitedBuffer
	errb.max = 64 << 10
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if out.over {
			return nil, errorf(ErrTooLarge, "%s printed more than %d bytes", bin, maxOut)
		}
		return nil, toolError(ctx, bin, err, errb.Bytes())
	}
	if out.over {
		return nil, errorf(ErrTooLarge, "%s printed more than %d bytes", bin, maxOut)
	}
	return out.Bytes(), nil
}

type limitedBuffer struct {
	bytes.Buffer
	max  int64
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if int64(b.Len()+len(p)) > b.max {
		b.over = true
		return 0, errors.New("output limit exceeded")
	}
	return b.Buffer.Write(p)
}

// probe is what ffprobe tells about the first video stream.
type probe struct {
	Format       string
	Codec        string
	StoredW      int // coded width, height (before rotation)
	StoredH      int
	Rotation     int // display rotation in degrees counter-clockwise, normalized to 0/90/180/270
	RotationFrom string
	TimeBase     [2]int64
	AvgFPS       float64 // avg_frame_rate
	RFPS         float64 // r_frame_rate
	NbFrames     int     // container nb_frames (-1 = unknown)
	Duration     float64 // stream (else format) duration, seconds; 0 = unknown
	StartTime    float64 // format start_time, seconds (ffmpeg's -ss is relative to it)
	PTS          []int64 // per-frame pts in time_base units, presentation order
	Dur          []int64 // per-frame duration (packet duration), time_base units; 0 = unknown
	FromFrames   bool    // pts came from decoded frames (packets had no pts)
}

func (p *probe) seconds(ts int64) float64 {
	return float64(ts) * float64(p.TimeBase[0]) / float64(p.TimeBase[1])
}

// width/height after rotation (what the decoder delivers).
func (p *probe) outSize() (int, int) {
	if p.Rotation == 90 || p.Rotation == 270 {
		return p.StoredH, p.StoredW
	}
	return p.StoredW, p.StoredH
}

type ffStream struct {
	Index        int               `json:"index"`
	CodecName    string            `json:"codec_name"`
	Width        int               `json:"width"`
	Height       int               `json:"height"`
	RFrameRate   string            `json:"r_frame_rate"`
	AvgFrameRate string            `json:"avg_frame_rate"`
	TimeBase     string            `json:"time_base"`
	NbFrames     string            `json:"nb_frames"`
	Duration     string            `json:"duration"`
	Tags         map[string]string `json:"tags"`
	SideData     []map[string]any  `json:"side_data_list"`
}

type ffPacket struct {
	PTS      *int64 `json:"pts"`
	Duration *int64 `json:"duration"`
	Flags    string `json:"flags"`
}

type ffFrame struct {
	PTS      *int64 `json:"best_effort_timestamp"`
	Duration *int64 `json:"pkt_duration"`
}

type ffProbeOut struct {
	Streams []ffStream `json:"streams"`
	Packets []ffPacket `json:"packets"`
	Frames  []ffFrame  `json:"frames"`
	Format  struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
		StartTime  string `json:"start_time"`
	} `json:"format"`
}

func parseRatio(s string) (int64, int64, bool) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, false
	}
	n, err1 := strconv.ParseInt(a, 10, 64)
	d, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || d == 0 {
		return 0, 0, false
	}
	return n, d, true
}

func ratioF(s string) float64 {
	n, d, ok := parseRatio(s)
	if !ok || n <= 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// runProbe runs ffprobe once for stream metadata and per-packet pts (no
// decoding). Packets with the discard flag (D: before an edit list start)
// are dropped; presentation order = sorted pts. If any packet has no pts
// (raw streams), a second ffprobe decodes the frames for
// best_effort_timestamp. Limits: at most maxFrames frames.
func runProbe(ctx context.Context, ffprobe, path string, maxFrames int) (*probe, error) {
	args := []string{"-v", "error", "-protocol_whitelist", "file", "-format_whitelist", demuxers,
		"-select_streams", "V:0",
		"-show_entries", "stream=index,codec_name,width,height,r_frame_rate,avg_frame_rate,time_base,nb_frames,duration:stream_tags=rotate:stream_side_data=rotation:format=format_name,duration,start_time:packet=pts,duration,flags",
		"-of", "json", "file:" + path}
	maxOut := int64(maxFrames)*96 + (1 << 20)
	out, err := runTool(ctx, ffprobe, args, maxOut)
	if err != nil {
		return nil, err
	}
	var po ffProbeOut
	if err := json.Unmarshal(out, &po); err != nil {
		return nil, fmt.Errorf("%w: ffprobe output: %v", ErrCorrupt, err)
	}
	if len(po.Streams) == 0 {
		return nil, errorf(ErrUnsupportedFormat, "ffprobe found no video stream")
	}
	s := po.Streams[0]
	p := &probe{Format: po.Format.FormatName, Codec: s.CodecName, StoredW: s.Width, StoredH: s.Height,
		AvgFPS: ratioF(s.AvgFrameRate), RFPS: ratioF(s.RFrameRate), NbFrames: -1}
	if s.Width <= 0 || s.Height <= 0 {
		return nil, errorf(ErrCorrupt, "video stream has no size (%dx%d)", s.Width, s.Height)
	}
	n, d, ok := parseRatio(s.TimeBase)
	if !ok || n <= 0 {
		return nil, errorf(ErrCorrupt, "video stream time_base %q", s.TimeBase)
	}
	p.TimeBase = [2]int64{n, d}
	if v, err := strconv.ParseFloat(po.Format.StartTime, 64); err == nil {
		p.StartTime = v
	}
	if v, err := strconv.Atoi(s.NbFrames); err == nil {
		p.NbFrames = v
	}
	if v, err := strconv.ParseFloat(s.Duration, 64); err == nil {
		p.Duration = v
	} else if v, err := strconv.ParseFloat(po.Format.Duration, 64); err == nil {
		p.Duration = v
	}
	// Rotation: display matrix side data (degrees CCW, ffmpeg ≥ 5), else
	// the legacy rotate tag (degrees CW).
	rot, from := 0.0, ""
	for _, sd := range s.SideData {
		if r, ok := sd["rotation"].(float64); ok {
			rot, from = r, "displaymatrix"
			break
		}
	}
	if from == "" {
		if t, ok := s.Tags["rotate"]; ok {
			if r, err := strconv.ParseFloat(t, 64); err == nil {
				rot, from = -r, "tag rotate"
			}
		}
	}
	r := int(math.Round(rot/90)) * 90 % 360
	if r < 0 {
		r += 360
	}
	if math.Abs(rot-math.Round(rot/90)*90) > 1 {
		return nil, errorf(ErrUnsupportedFormat, "rotation %.1f° is not a multiple of 90°", rot)
	}
	p.Rotation, p.RotationFrom = r, from

	missing := false
	for _, pk := range po.Packets {
		if strings.Contains(pk.Flags, "D") {
			continue
		}
		if pk.PTS == nil {
			missing = true
			break
		}
		var du int64
		if pk.Duration != nil {
			du = *pk.Duration
		}
		p.PTS = append(p.PTS, *pk.PTS)
		p.Dur = append(p.Dur, du)
	}
	if missing {
		p.PTS, p.Dur = nil, nil
		args := []string{"-v", "error", "-protocol_whitelist", "file", "-format_whitelist", demuxers,
			"-select_streams", "V:0", "-show_entries", "frame=best_effort_timestamp,pkt_duration", "-of", "json", "file:" + path}
		out, err := runTool(ctx, ffprobe, args, maxOut)
		if err != nil {
			return nil, err
		}
		var fo ffProbeOut
		if err := json.Unmarshal(out, &fo); err != nil {
			return nil, fmt.Errorf("%w: ffprobe output: %v", ErrCorrupt, err)
		}
		for _, fr := range fo.Frames {
			if fr.PTS == nil {
				return nil, errorf(ErrCorrupt, "frames without timestamps")
			}
			var du int64
			if fr.Duration != nil {
				du = *fr.Duration
			}
			p.PTS = append(p.PTS, *fr.PTS)
			p.Dur = append(p.Dur, du)
		}
		p.FromFrames = true
	}
	if len(p.PTS) > maxFrames {
		return nil, errorf(ErrTooLong, "%d frames > MaxSourceFrames %d", len(p.PTS), maxFrames)
	}
	// presentation order; duplicate pts (broken muxes) keep one frame
	ord := make([]int, len(p.PTS))
	for i := range ord {
		ord[i] = i
	}
	sort.SliceStable(ord, func(a, b int) bool { return p.PTS[ord[a]] < p.PTS[ord[b]] })
	pts := make([]int64, 0, len(ord))
	dur := make([]int64, 0, len(ord))
	for _, i := range ord {
		if len(pts) > 0 && pts[len(pts)-1] == p.PTS[i] {
			continue
		}
		pts = append(pts, p.PTS[i])
		dur = append(dur, p.Dur[i])
	}
	p.PTS, p.Dur = pts, dur
	return p, nil
}

// decodeFrames decodes the frames whose pts are in want (ascending, unique,
// time_base units) as rgb24 frames of w×h (after rotation). seekTo > 0
// seeks the input to that time (seconds on the pts clock; ffmpeg's -ss
// counts from the file's start_time, so that is subtracted) first (-ss before -i,
// -noaccurate_seek: decoding starts at the keyframe before it; selection
// is by exact pts either way, with -copyts so pts are the file's own).
func decodeFrames(ctx context.Context, ffmpeg, path string, pr *probe, want []int64, seekTo float64, maxBytes int64) ([][]uint8, error) {
	w, h := pr.outSize()
	fsz := int64(w) * int64(h) * 3
	if fsz*int64(len(want)) > maxBytes {
		return nil, errorf(ErrTooLarge, "%d frames of %dx%d rgb24 = %d bytes > MaxDecodedBytes %d", len(want), w, h, fsz*int64(len(want)), maxBytes)
	}
	var terms strings.Builder
	terms.WriteString("select='")
	terms.WriteString(selectExpr(pr.PTS, want))
	terms.WriteString("'")
	switch pr.Rotation {
	case 90: // display is the stored picture turned 90° counter-clockwise
		terms.WriteString(",transpose=cclock")
	case 180:
		terms.WriteString(",hflip,vflip")
	case 270:
		terms.WriteString(",transpose=clock")
	}
	filter := terms.String()
	args := []string{"-nostdin", "-v", "error", "-threads", "0", "-noautorotate"}
	if ss := seekTo - pr.StartTime; seekTo > 0 && ss > 0 {
		args = append(args, "-noaccurate_seek", "-ss", strconv.FormatFloat(ss, 'f', 6, 64))
	}
	args = append(args, "-copyts")
	args = append(args, safeInputArgs(path)...)
	var script string
	if len(filter) > 60000 { // stay well below Linux's 128 KiB per-argument limit
		f, err := os.CreateTemp("", "tokenfab-video-filter-*")
		if err != nil {
			return nil, err
		}
		script = f.Name()
		defer os.Remove(script)
		_, err = f.WriteString(filter)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		args = append(args, "-filter_script:v:0", script)
	} else {
		args = append(args, "-vf", filter)
	}
	args = append(args, "-map", "0:V:0", "-an", "-sn", "-dn", "-fps_mode", "passthrough",
		"-frames:v", strconv.Itoa(len(want)), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1")
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	cmd.Stdin = nil
	cmd.WaitDelay = 2 * time.Second
	var errb limitedBuffer
	errb.max = 64 << 10
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	frames := make([][]uint8, 0, len(want))
	var readErr error
	for len(frames) < len(want) {
		buf := make([]uint8, fsz)
		if _, err := io.ReadFull(stdout, buf); err != nil {
			if err != io.EOF {
				readErr = err
			}
			break
		}
		frames = append(frames, buf)
	}
	// anything past the expected frames is an error (size mismatch)
	extra, _ := io.Copy(io.Discard, io.LimitReader(stdout, 1))
	werr := cmd.Wait()
	if werr != nil {
		return nil, toolError(ctx, "ffmpeg", werr, errb.Bytes())
	}
	if readErr != nil && readErr != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("%w: reading ffmpeg output: %v", ErrCorrupt, readErr)
	}
	if readErr == io.ErrUnexpectedEOF || extra > 0 {
		return nil, errorf(ErrCorrupt, "ffmpeg output is not a whole number of %dx%d rgb24 frames", w, h)
	}
	return frames, nil
}

// selectExpr is the select filter expression choosing exactly the frames
// with pts in want (ascending): runs of consecutive frames of the probe
// list become between(pts,a,b), single frames eq(pts,a), and the terms are
// summed as a balanced tree of parentheses, because ffmpeg's expression
// parser refuses a flat sum of more than 100 terms (measured with 5.1:
// 100 parse, 101 fail; a balanced tree of 5000 parses).
func selectExpr(all []int64, want []int64) string {
	var terms []string
	for i := 0; i < len(want); {
		j := i
		pos := sort.Search(len(all), func(k int) bool { return all[k] >= want[i] })
		for j+1 < len(want) && pos+(j+1-i) < len(all) && all[pos+(j+1-i)] == want[j+1] {
			j++
		}
		if j == i {
			terms = append(terms, fmt.Sprintf("eq(pts\\,%d)", want[i]))
		} else {
			terms = append(terms, fmt.Sprintf("between(pts\\,%d\\,%d)", want[i], want[j]))
		}
		i = j + 1
	}
	var tree func(t []string) string
	tree = func(t []string) string {
		if len(t) == 1 {
			return t[0]
		}
		m := len(t) / 2
		return "(" + tree(t[:m]) + "+" + tree(t[m:]) + ")"
	}
	return tree(terms)
}
