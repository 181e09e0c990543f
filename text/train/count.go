package train

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/tokenfab/tokenfab/text/internal/pretok"
)

// job is a buffer of one file whose pre-tokens starting before cut are to be
// counted; the bytes after cut (the start of the next chunk) are there so
// the scanner sees what follows the cut.
type job struct {
	buf []byte
	cut int
}

// counter is one worker's piece counts.
type counter struct {
	m              map[string]int64
	pieces         int64
	prunedDistinct int64
	prunedPieces   int64
	err            error
}

// prune drops the rarest pieces until at most target remain: all pieces
// seen once, then twice, and so on.
func (c *counter) prune(target int) {
	for t := int64(1); len(c.m) > target; t++ {
		for k, v := range c.m {
			if v <= t {
				delete(c.m, k)
				c.prunedDistinct++
				c.prunedPieces += v
			}
		}
	}
}

// count pre-tokenizes the files with cfg.Workers goroutines and returns the
// number of occurrences of every distinct pre-token.
func count(ctx context.Context, cfg Config, split pretok.Func, paths []string, st *Stats) (map[string]int64, error) {
	jobs := make(chan job, cfg.Workers)
	free := make(chan []byte, 2*cfg.Workers+1)
	capPer := max(cfg.MaxPieces/cfg.Workers, 1)
	counters := make([]*counter, cfg.Workers)
	var wg sync.WaitGroup
	for i := range counters {
		c := &counter{m: make(map[string]int64)}
		counters[i] = c
		wg.Go(func() {
			for j := range jobs {
				if c.err == nil {
					c.countChunk(split, j)
					if len(c.m) > capPer {
						c.prune(capPer / 2)
					}
				}
				select {
				case free <- j.buf[:0]:
				default:
				}
			}
		})
	}

	readErr := func() error {
		for _, p := range paths {
			if err := readFile(ctx, p, cfg.chunkSize, split, jobs, free, st); err != nil {
				return err
			}
		}
		return nil
	}()
	close(jobs)
	wg.Wait()
	if readErr != nil {
		return nil, readErr
	}

	// Sum into the biggest map.
	big := 0
	for i, c := range counters {
		if c.err != nil {
			return nil, c.err
		}
		if len(c.m) > len(counters[big].m) {
			big = i
		}
	}
	total := counters[big]
	for i, c := range counters {
		if i == big {
			continue
		}
		for k, v := range c.m {
			total.m[k] += v
		}
		total.pieces += c.pieces
		total.prunedDistinct += c.prunedDistinct
		total.prunedPieces += c.prunedPieces
		c.m = nil
	}
	if len(total.m) > cfg.MaxPieces {
		total.prune(cfg.MaxPieces)
	}
	st.Pieces = total.pieces
	st.PrunedDistinct = total.prunedDistinct
	st.PrunedPieces = total.prunedPieces
	return total.m, nil
}

func (c *counter) countChunk(split pretok.Func, j job) {
	pos := 0
	for pos < j.cut {
		n := split(j.buf[pos:])
		if n < 1 || n > len(j.buf)-pos {
			n = len(j.buf) - pos
		}
		c.m[string(j.buf[pos:pos+n])]++
		c.pieces++
		pos += n
	}
	if pos != j.cut {
		c.err = fmt.Errorf("train: internal error: a pre-token crosses a chunk cut (%d, %d)", pos, j.cut)
	}
}

// readFile reads one file in chunks, cuts each at a pre-token boundary and
// sends them to the workers.
func readFile(ctx context.Context, path string, chunk int, split pretok.Func, jobs chan<- job, free chan []byte, st *Stats) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer f.Close()
	var carry []byte
	for eof := false; !eof; {
		if err := ctx.Err(); err != nil {
			return err
		}
		var buf []byte
		select {
		case buf = <-free:
		default:
			buf = make([]byte, 0, chunk+chunk/4)
		}
		buf = append(buf, carry...)
		cut := -1
		for cut < 0 {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			target := min(cap(buf), len(buf)+chunk)
			n, err := io.ReadFull(f, buf[len(buf):target])
			buf = buf[:len(buf)+n]
			st.InputBytes += int64(n)
			switch {
			case err == io.EOF || err == io.ErrUnexpectedEOF:
				eof, cut = true, len(buf)
			case err != nil:
				return fmt.Errorf("train: %w", err)
			case len(buf) < chunk:
				continue
			default:
				if cut = safeCut(buf); cut < 0 && len(buf) >= 4*chunk {
					cut = looseCut(split, buf)
					st.LooseCuts++
				}
			}
		}
		carry = append(carry[:0], buf[cut:]...)
		if cut == 0 {
			continue // only possible at EOF of an empty file
		}
		jobs <- job{buf: buf, cut: cut}
	}
	return nil
}

// safeCut returns the last position in buf that follows a "\n" and holds a
// printable ASCII byte other than '/', or -1. No pattern of pretok puts such
// a byte in the same pre-token as the newline before it (only o200k lets a
// '/' follow newlines in a punctuation piece), and no pre-token before the
// newline looks past that byte, so every scan agrees there with the scan of
// the whole file.
func safeCut(buf []byte) int {
	for end := len(buf) - 1; end > 0; {
		i := bytes.LastIndexByte(buf[:end], '\n')
		if i < 0 {
			return -1
		}
		if c := buf[i+1]; c >= '!' && c <= '~' && c != '/' {
			return i + 1
		}
		end = i
	}
	return -1
}

// looseCut returns the start of the last pre-token of buf (or len(buf) when
// buf is one pre-token): the cut for a chunk without a safe place.
func looseCut(split pretok.Func, buf []byte) int {
	last, pos := 0, 0
	for pos < len(buf) {
		last = pos
		pos += max(split(buf[pos:]), 1)
	}
	if last == 0 {
		return len(buf)
	}
	return last
}
