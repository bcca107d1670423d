package authority

// SetLimits lowers the caps on device codes and refresh grants for a test.
func SetLimits(a *Authority, devices, refresh int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.maxDevices, a.maxRefresh = devices, refresh
}

// Pending is how many device codes (expired or not) and refresh grants
// the authority keeps.
func Pending(a *Authority) (devices, refresh int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.devices), len(a.refresh)
}
