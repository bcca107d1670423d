//go:build unix

package privfile

import (
	"io/fs"
	"syscall"
)

const modesMean = true

func owner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
