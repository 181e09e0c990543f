package text

import "testing"

// TestHFDeepSeekGapMatcher: DeepSeek-V3's third Split regex runs on the
// pretok "deepseek3" scanner, not regexp2 (its equality with Python regex is
// TestDiffPython in text/internal/pretok; with HF, TestHFGolden and
// TestHFCorpusParity).
func TestHFDeepSeekGapMatcher(t *testing.T) {
	st := hfTokenizer(t, "deepseek_v3").hf.stages
	s, ok := st[2].(*splitStage)
	if !ok {
		t.Fatalf("stage 2 is %T", st[2])
	}
	if _, ok := s.m.(gapMatcher); !ok {
		t.Errorf("stage 2 matcher is %T, want gapMatcher", s.m)
	}
}
