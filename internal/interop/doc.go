// Package interop holds tests of Go libraries with dependencies of their
// own (gRPC) running over the loop's net.Conn and net.Listener views. It
// is a module of its own so that the library's module does not depend on
// them; it has no code of its own.
package interop
