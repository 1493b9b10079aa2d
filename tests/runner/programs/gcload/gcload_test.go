package gcload

import "testing"

func TestChurn(t *testing.T) {
	if Churn(20000) == 0 {
		t.Fatal("nothing allocated")
	}
}
