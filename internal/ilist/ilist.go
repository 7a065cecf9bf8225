// Package ilist is the library's one intrusive doubly-linked list: the
// links live inside the elements, so adding and removing allocate nothing
// and removal is O(1) given the element. The loop's list of live tasks
// and a scope's children are such lists. The parking lot's waiter lists
// are written out instead: they are on every wake-up, and a call through
// a type parameter's method is not inlined (docs/design.md, D2).
package ilist

// Links are the two pointers an element keeps for the list it is in. The
// zero Links is an element in no list.
type Links[T any] struct{ prev, next *T }

// Next returns the element after this one, or nil.
func (k *Links[T]) Next() *T { return k.next }

// Elem is what a List holds: a pointer to a struct that carries Links and
// returns them from Links.
type Elem[T any] interface {
	*T
	Links() *Links[T]
}

// List is a FIFO-ordered intrusive list. The zero List is empty and ready
// to use. Not safe for concurrent use.
type List[T any, P Elem[T]] struct {
	head, tail *T
	n          int
}

// Len returns the number of elements.
func (l *List[T, P]) Len() int { return l.n }

// Front returns the first element, or nil.
func (l *List[T, P]) Front() *T { return l.head }

// PushBack appends e, which must be in no list.
func (l *List[T, P]) PushBack(e *T) {
	k := P(e).Links()
	k.prev, k.next = l.tail, nil
	if l.tail != nil {
		P(l.tail).Links().next = e
	} else {
		l.head = e
	}
	l.tail = e
	l.n++
}

// PushFront prepends e, which must be in no list.
func (l *List[T, P]) PushFront(e *T) {
	k := P(e).Links()
	k.prev, k.next = nil, l.head
	if l.head != nil {
		P(l.head).Links().prev = e
	} else {
		l.tail = e
	}
	l.head = e
	l.n++
}

// Remove takes e out of the list and reports whether it was in it. e
// must be in this list or in none: an element of another list is not
// detected.
func (l *List[T, P]) Remove(e *T) bool {
	k := P(e).Links()
	switch {
	case k.prev != nil:
		P(k.prev).Links().next = k.next
	case l.head == e:
		l.head = k.next
	default:
		return false // not in the list
	}
	if k.next != nil {
		P(k.next).Links().prev = k.prev
	} else {
		l.tail = k.prev
	}
	k.prev, k.next = nil, nil
	l.n--
	return true
}
