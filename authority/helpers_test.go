package authority_test

import (
	"encoding/base64"
)

func jwtDecode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
