package cbuf

import (
	"sync"
	"testing"
)

// Each test exercises one planted bug; see the BUG(...) comments in the package.

func TestUseAfterFree(t *testing.T) {
	b := New(16)
	b.Append("hello")
	b.Close()
	if b.Len() != 5 {
		t.Log("length changed after Close")
	}
}

func TestDoubleFree(t *testing.T) {
	b := New(16)
	defer b.Close()
	b.Append("hello")
	if got := string(b.Bytes()); got != "hello" {
		t.Fatalf("Bytes() = %q", got)
	}
}

func TestLeak(t *testing.T) {
	b := New(16)
	defer b.Close()
	b.Append("hello")
	for i := 0; i < 10; i++ {
		if got := b.String(); got != "hello" {
			t.Fatalf("String() = %q", got)
		}
	}
}

func TestGoPointerToGoPointer(t *testing.T) {
	if got := TotalLength([]string{"ab", "cde"}); got != 5 {
		t.Fatalf("TotalLength = %d", got)
	}
}

func TestGoPointerStoredInCMemory(t *testing.T) {
	b := New(16)
	defer b.Close()
	b.SetOwner(&Owner{Name: "test"})
}

func TestExportReturnsGoPointer(t *testing.T) {
	if got := Label(7); got != "item-7" {
		t.Fatalf("Label(7) = %q", got)
	}
}

func TestDataRace(t *testing.T) {
	l := NewLog(1024)
	defer l.Close()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				l.Write("x")
			}
		}()
	}
	wg.Wait()
	if l.Writes() == 0 {
		t.Fatal("no writes recorded")
	}
}
