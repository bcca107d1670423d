// Package lazy holds values computed on first use.
//
// A Value is usable as a zero-valued package variable, which costs nothing
// at start-up. sync.OnceValue, by contrast, allocates its closure in the
// package's init, and every jwtrace command runs the init of every package
// linked into the binary, whatever it does (issue 18: start-up).
package lazy

import "sync"

// Value is a value of type T computed once, by the first Get. The zero
// Value is ready to use; it must not be copied after first use.
type Value[T any] struct {
	once sync.Once
	v    T
}

// Get returns the value, computing it with build on the first call; build
// must be the same function at every call (a Value belongs to one build
// function, as in
//
//	var tmpl lazy.Value[*template.Template]
//	func page() *template.Template { return tmpl.Get(parsePage) }
//
// ). Concurrent first calls wait for the one build.
func (l *Value[T]) Get(build func() T) T {
	l.once.Do(func() { l.v = build() })
	return l.v
}
