// Command alt times commands alternately, A B A B ... (or A B C A B C ...), so that a slow
// spell of a shared machine falls on all of them alike, and prints a Markdown table: min,
// median and max wall time of each, and the median of the per-round ratios of the first
// command to each other one.
//
//	alt [-runs N] [-warmup W] NAME :: ARGV... [:: NAME :: ARGV...]...
//
// Each command is NAME, then "::", then its argv, run directly (no shell); "::" also ends the
// argv before the next NAME. An argv of the form "@each FILE" or "@each:P FILE" runs the
// commands listed in FILE (one per line, arguments separated by tabs) one after another, or P
// at a time, and times them together as one run: a loop of processes without a shell's cost.
// Every process must exit 0; otherwise alt prints its output and exits 1. Nothing is asserted
// about the times.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type command struct {
	name  string
	argvs [][]string // one argv, or the lines of an @each file
	par   int        // processes at a time for @each
	times []time.Duration
}

func main() {
	runs := flag.Int("runs", 10, "timed runs of each command")
	warmup := flag.Int("warmup", 1, "untimed runs of each command first")
	tsv := flag.String("tsv", "", "also write the results to this `file`: name, runs, min, median, max (seconds), ratio")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: alt [-runs N] [-warmup W] NAME :: ARGV... [:: NAME :: ARGV...]...")
		flag.PrintDefaults()
	}
	flag.Parse()
	cmds, err := parse(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "alt:", err)
		flag.Usage()
		os.Exit(2)
	}
	for range *warmup {
		for _, c := range cmds {
			if _, err := c.run(); err != nil {
				fail(c, err)
			}
		}
	}
	for range *runs {
		for _, c := range cmds {
			d, err := c.run()
			if err != nil {
				fail(c, err)
			}
			c.times = append(c.times, d)
		}
	}
	report(os.Stdout, cmds, false)
	if *tsv != "" {
		var b bytes.Buffer
		report(&b, cmds, true)
		if err := os.WriteFile(*tsv, b.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "alt:", err)
			os.Exit(1)
		}
	}
}

func fail(c *command, err error) {
	fmt.Fprintf(os.Stderr, "alt: %s: %v\n", c.name, err)
	os.Exit(1)
}

func parse(args []string) ([]*command, error) {
	// Split on "::": NAME, ARGV, NAME, ARGV, ...
	var parts [][]string
	cur := []string{}
	for _, a := range args {
		if a == "::" {
			parts = append(parts, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, a)
	}
	parts = append(parts, cur)
	if len(parts) < 2 || len(parts)%2 != 0 {
		return nil, fmt.Errorf("want NAME :: ARGV pairs")
	}
	var cmds []*command
	for i := 0; i < len(parts); i += 2 {
		if len(parts[i]) != 1 || len(parts[i+1]) == 0 {
			return nil, fmt.Errorf("want NAME :: ARGV pairs, got %q :: %q", parts[i], parts[i+1])
		}
		c := &command{name: parts[i][0], par: 1}
		argv := parts[i+1]
		if each, ok := strings.CutPrefix(argv[0], "@each"); ok {
			if each != "" {
				p, err := strconv.Atoi(strings.TrimPrefix(each, ":"))
				if err != nil || p < 1 || !strings.HasPrefix(each, ":") {
					return nil, fmt.Errorf("%s: want @each or @each:P with P >= 1, got %s", c.name, argv[0])
				}
				c.par = p
			}
			if len(argv) != 2 {
				return nil, fmt.Errorf("%s: want %s FILE", c.name, argv[0])
			}
			lines, err := readLines(argv[1])
			if err != nil {
				return nil, err
			}
			c.argvs = lines
		} else {
			c.argvs = [][]string{argv}
		}
		cmds = append(cmds, c)
	}
	return cmds, nil
}

func readLines(name string) ([][]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			out = append(out, strings.Split(line, "\t"))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no commands", name)
	}
	return out, nil
}

// run runs the command once (every line of an @each file) and returns the wall time.
func (c *command) run() (time.Duration, error) {
	start := time.Now()
	if c.par <= 1 {
		for _, argv := range c.argvs {
			if err := runOne(argv); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan []string)
	)
	for range c.par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for argv := range next {
				if err := runOne(argv); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, argv := range c.argvs {
		next <- argv
	}
	close(next)
	wg.Wait()
	return time.Since(start), first
}

func runOne(argv []string) error {
	var out bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		tail := out.Bytes()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, tail)
	}
	return nil
}

func median(ds []float64) float64 {
	s := append([]float64(nil), ds...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func secs(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// format prints a duration in seconds with a unit that suits it.
func format(s float64) string {
	switch {
	case s < 1e-3:
		return fmt.Sprintf("%.0f µs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.2f ms", s*1e3)
	default:
		return fmt.Sprintf("%.2f s", s)
	}
}

func report(w io.Writer, cmds []*command, tsv bool) {
	first := secs(cmds[0].times)
	if !tsv {
		fmt.Fprintf(w, "| command | runs | min | median | max | %s / this (median of per-round ratios) |\n", cmds[0].name)
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
	}
	for i, c := range cmds {
		t := secs(c.times)
		s := append([]float64(nil), t...)
		sort.Float64s(s)
		ratio := 1.0
		if i > 0 {
			r := make([]float64, len(t))
			for j := range t {
				r[j] = first[j] / t[j]
			}
			ratio = median(r)
		}
		if tsv {
			fmt.Fprintf(w, "%s\t%d\t%g\t%g\t%g\t%g\n", c.name, len(t), s[0], median(t), s[len(s)-1], ratio)
			continue
		}
		shown := "-"
		if i > 0 {
			shown = fmt.Sprintf("%.2fx", ratio)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s |\n", c.name, len(t), format(s[0]), format(median(t)), format(s[len(s)-1]), shown)
	}
}
