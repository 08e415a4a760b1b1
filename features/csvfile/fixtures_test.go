package csvfile

import (
	"fmt"
)

// sampleSnapshotCSV returns a snapshot file of about rows rows shaped like
// real input: accounts of 100 weekly rows each, every optional column and
// one numeric extra.
func sampleSnapshotCSV(rows int) []byte {
	const weeks = 100
	b := []byte("account_id,week,logins,frequency,recency_days,sla_breaches,overdue_invoices,churned,arr,segment,renewal_date,nps\n")
	segments := [...]string{"smb", "mid", "enterprise"}
	for a := 0; a*weeks < rows; a++ {
		for w := 0; w < weeks; w++ {
			churned := 0
			if w == weeks-1 && a%4 == 0 {
				churned = 1
			}
			b = fmt.Appendf(b, "acct-%06d,2023-%02d-%02d,%d,%d,%d,%d,%d,%d,%d.5,%s,2025-06-30,%d\n",
				a, 1+w%12, 1+w%28, (a+w)%40, (a*w)%17, w%9, w%3, a%2, churned, 1000*(a%300), segments[a%3], (a+w)%11-1)
		}
	}
	return b
}
