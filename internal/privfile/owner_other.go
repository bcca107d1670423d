//go:build !unix

package privfile

import "io/fs"

// modesMean is false: file modes and owners mean little here (ACLs
// decide), so only the kind of file is checked.
const modesMean = false

func owner(fs.FileInfo) (int, bool) { return 0, false }
