// Command tracehelper decodes a Go execution trace and prints, as JSON lines, what
// cgoguard needs to relate stop-the-world pauses to cgo calls:
//
//	{"k":"meta", ...}                  trace span, event count, format notes
//	{"k":"stw","b":ns,"e":ns,...}      one stop-the-world range, with its reason, the time the
//	                                   last P stopped (time to stop) and the number of
//	                                   goroutines inside a cgo call when it began
//	{"k":"ret","g":id,"b":,"e":,"run":} a cgo call that returned while the world was stopped:
//	                                   call begin, return, and when the goroutine ran again
//	{"k":"gc","b":,"e":}               a GC cycle's concurrent mark phase
//	{"k":"metric","t":,"n":,"v":}      heap live/goal and GOMAXPROCS samples
//	{"k":"bins","w":ns,"b":[[i,begun,returned],...]}  cgo calls begun/returned per bin
//
// Times are nanoseconds since the first event. A cgo call is a goroutine's syscall state
// entered from a cgo wrapper (see cgoStack). Go 1.22+ traces time every such call. Older
// traces (Go 1.11-1.21, converted by golang.org/x/exp/trace) count every call too, but only
// calls that blocked long enough to lose their P have a real duration; the others last 1 ns.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/exp/trace"
)

const binWidth = int64(1_000_000) // 1 ms

type goroutine struct {
	inCgo       bool
	begin       int64
	end         int64
	returnedSTW bool // the call returned while the world was stopped
}

type stw struct {
	active   bool
	begin    int64
	lastStop int64
	reason   string
	inCgo    int // goroutines inside a cgo call when the stop began
	begun    int // cgo calls begun while stopping or stopped
	returned int // cgo calls that returned while stopping or stopped
}

type decoder struct {
	out        *json.Encoder
	origin     int64
	haveOrigin bool
	last       int64
	events     int64
	goroutines map[trace.GoID]*goroutine
	inCgo      int
	cgoCalls   int64
	stw        stw
	gcBegin    int64
	gcActive   bool
	isCgo      map[trace.Stack]bool
	bins       map[int64]*[2]int64
	metricBin  map[string]int64 // 1 + the bin of the last sample passed on, per metric
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tracehelper TRACE.out")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "tracehelper:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer w.Flush()
	d := &decoder{
		out:        json.NewEncoder(w),
		goroutines: map[trace.GoID]*goroutine{},
		isCgo:      map[trace.Stack]bool{},
		bins:       map[int64]*[2]int64{},
		metricBin:  map[string]int64{},
	}
	r, err := trace.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return err
	}
	var readErr error
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			// Keep what was decoded: a truncated trace still holds whole generations.
			readErr = err
			break
		}
		d.handle(ev)
	}
	d.finish(readErr)
	return nil
}

func (d *decoder) emit(v map[string]any) {
	_ = d.out.Encode(v)
}

func (d *decoder) handle(ev trace.Event) {
	t := int64(ev.Time())
	if !d.haveOrigin {
		d.origin, d.haveOrigin = t, true
	}
	t -= d.origin
	d.last = t
	d.events++
	switch ev.Kind() {
	case trace.EventRangeBegin, trace.EventRangeActive:
		d.rangeBegin(ev.Range().Name, t)
	case trace.EventRangeEnd:
		d.rangeEnd(ev.Range().Name, t)
	case trace.EventStateTransition:
		d.transition(ev.StateTransition(), t)
	case trace.EventMetric:
		d.metric(ev.Metric(), t)
	}
}

// metric passes heap and GOMAXPROCS samples on, at most one per name and bin: the heap
// size is sampled at nearly every allocation of a new span.
func (d *decoder) metric(m trace.Metric, t int64) {
	if m.Value.Kind() != trace.ValueUint64 || d.metricBin[m.Name] == t/binWidth+1 {
		return
	}
	d.metricBin[m.Name] = t/binWidth + 1
	d.emit(map[string]any{"k": "metric", "t": t, "n": m.Name, "v": m.Value.Uint64()})
}

func (d *decoder) rangeBegin(name string, t int64) {
	switch {
	case strings.HasPrefix(name, "stop-the-world"):
		d.stw = stw{active: true, begin: t, lastStop: t, reason: stwReason(name), inCgo: d.inCgo}
	case name == "GC concurrent mark phase":
		d.gcBegin, d.gcActive = t, true
	}
}

func (d *decoder) rangeEnd(name string, t int64) {
	switch {
	case strings.HasPrefix(name, "stop-the-world") && d.stw.active:
		d.emit(map[string]any{"k": "stw", "b": d.stw.begin, "e": t, "r": d.stw.reason,
			"stop": d.stw.lastStop - d.stw.begin, "incgo": d.stw.inCgo,
			"begun": d.stw.begun, "returned": d.stw.returned})
		d.stw.active = false
	case name == "GC concurrent mark phase" && d.gcActive:
		d.emit(map[string]any{"k": "gc", "b": d.gcBegin, "e": t})
		d.gcActive = false
	}
}

// stwReason turns "stop-the-world (GC mark termination)" into "GC mark termination".
func stwReason(name string) string {
	reason := strings.TrimPrefix(name, "stop-the-world")
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(reason), "("), ")")
}

func (d *decoder) transition(st trace.StateTransition, t int64) {
	switch st.Resource.Kind {
	case trace.ResourceProc:
		// While the world is being stopped, each P that stops (or is taken from a
		// syscall) goes idle; the last one marks the end of the time to stop.
		if _, to := st.Proc(); d.stw.active && to == trace.ProcIdle {
			d.stw.lastStop = t
		}
	case trace.ResourceGoroutine:
		from, to := st.Goroutine()
		d.goroutine(st.Resource.Goroutine(), from, to, st.Stack, t)
	}
}

func (d *decoder) goroutine(id trace.GoID, from, to trace.GoState, stack trace.Stack, t int64) {
	g := d.goroutines[id]
	if g == nil {
		if to == trace.GoNotExist {
			return
		}
		g = &goroutine{}
		d.goroutines[id] = g
	}
	switch {
	case to == trace.GoSyscall && from == trace.GoRunning && d.cgoStack(stack):
		*g = goroutine{inCgo: true, begin: t}
		d.inCgo++
		d.cgoCalls++
		d.bin(t)[0]++
		if d.stw.active {
			d.stw.begun++
		}
	case from == trace.GoSyscall && g.inCgo:
		g.inCgo, g.end = false, t
		d.inCgo--
		d.bin(t)[1]++
		g.returnedSTW = d.stw.active
		if d.stw.active {
			d.stw.returned++
		}
		if g.returnedSTW && to == trace.GoRunning {
			d.returned(id, g, t)
		}
	case to == trace.GoRunning && g.returnedSTW:
		d.returned(id, g, t)
	}
	if to == trace.GoNotExist {
		delete(d.goroutines, id)
	}
}

func (d *decoder) returned(id trace.GoID, g *goroutine, run int64) {
	d.emit(map[string]any{"k": "ret", "g": uint64(id), "b": g.begin, "e": g.end, "run": run})
	g.returnedSTW = false
}

// cgoStack reports whether a goroutine entering a syscall is making a cgo call: its stack
// goes through runtime.cgocall (older tracers) or, where runtime frames are elided (Go 1.26),
// starts at a cgo wrapper such as main._Cfunc_f or net._C2func_getaddrinfo.
func (d *decoder) cgoStack(s trace.Stack) bool {
	if known, ok := d.isCgo[s]; ok {
		return known
	}
	cgo := false
	for frame := range s.Frames() {
		if frame.Func == "runtime.cgocall" {
			cgo = true
			break
		}
		if !strings.HasPrefix(frame.Func, "runtime.") {
			cgo = strings.Contains(frame.Func, "._Cfunc_") || strings.Contains(frame.Func, "._C2func_")
			break
		}
	}
	d.isCgo[s] = cgo
	return cgo
}

func (d *decoder) bin(t int64) *[2]int64 {
	b := d.bins[t/binWidth]
	if b == nil {
		b = &[2]int64{}
		d.bins[t/binWidth] = b
	}
	return b
}

func (d *decoder) finish(readErr error) {
	keys := make([]int64, 0, len(d.bins))
	for k := range d.bins {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	rows := make([][3]int64, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, [3]int64{k, d.bins[k][0], d.bins[k][1]})
	}
	d.emit(map[string]any{"k": "bins", "w": binWidth, "b": rows})
	meta := map[string]any{"k": "meta", "end": d.last, "events": d.events, "cgo_calls": d.cgoCalls}
	if readErr != nil {
		meta["error"] = readErr.Error()
	}
	d.emit(meta)
}
