package meshsec

// The store callbacks the library calls: exported to C, they find the Go
// Store through the cgo.Handle carried in the callback context. This file
// has //export directives, so its preamble holds declarations only.

/*
#include <stdint.h>
#include <stdlib.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// Store is the host's key-value store as the library sees it. Range returns
// the entries with begin <= key < end (end nil: unbounded) in ascending
// byte order, or descending with reverse; a snapshot is fine since the
// library never writes while iterating. Errors are reported to the library
// as code 13 (internal).
type Store interface {
	Get(key []byte) (value []byte, found bool, err error)
	Set(key, value []byte) error
	Delete(key []byte) error
	Range(begin, end []byte, reverse bool) ([]KV, error)
}

// KV is one entry of a Range.
type KV struct {
	Key, Value []byte
}

type storeHandle struct {
	store Store
	iters map[uint64]*iterState
	next  uint64
}

type iterState struct {
	entries []KV
	pos     int
}

const codeInternal = 13

func handleOf(ctx unsafe.Pointer) *storeHandle {
	return cgo.Handle(uintptr(ctx)).Value().(*storeHandle)
}

func goBytes(p *C.uint8_t, n C.size_t) []byte {
	if n == 0 {
		return []byte{}
	}
	return C.GoBytes(unsafe.Pointer(p), C.int(n))
}

// cBytes copies b into malloc'd memory the library takes over.
func cBytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(C.CBytes(b)), C.size_t(len(b))
}

//export goStoreGet
func goStoreGet(ctx unsafe.Pointer, key *C.uint8_t, klen C.size_t, val **C.uint8_t,
	vlen *C.size_t, found *C.int) C.int {
	v, ok, err := handleOf(ctx).store.Get(goBytes(key, klen))
	if err != nil {
		return codeInternal
	}
	*found = 0
	if ok {
		*found = 1
		*val, *vlen = cBytes(v)
	}
	return 0
}

//export goStoreSet
func goStoreSet(ctx unsafe.Pointer, key *C.uint8_t, klen C.size_t, val *C.uint8_t,
	vlen C.size_t) C.int {
	if err := handleOf(ctx).store.Set(goBytes(key, klen), goBytes(val, vlen)); err != nil {
		return codeInternal
	}
	return 0
}

//export goStoreDel
func goStoreDel(ctx unsafe.Pointer, key *C.uint8_t, klen C.size_t) C.int {
	if err := handleOf(ctx).store.Delete(goBytes(key, klen)); err != nil {
		return codeInternal
	}
	return 0
}

//export goStoreIterOpen
func goStoreIterOpen(ctx unsafe.Pointer, begin *C.uint8_t, blen C.size_t, end *C.uint8_t,
	elen C.size_t, reverse C.int, iter *C.uint64_t) C.int {
	h := handleOf(ctx)
	var e []byte
	if elen > 0 {
		e = goBytes(end, elen)
	}
	entries, err := h.store.Range(goBytes(begin, blen), e, reverse != 0)
	if err != nil {
		return codeInternal
	}
	h.next++
	h.iters[h.next] = &iterState{entries: entries}
	*iter = C.uint64_t(h.next)
	return 0
}

//export goStoreIterNext
func goStoreIterNext(ctx unsafe.Pointer, iter C.uint64_t, key **C.uint8_t, klen *C.size_t,
	val **C.uint8_t, vlen *C.size_t, valid *C.int) C.int {
	it, ok := handleOf(ctx).iters[uint64(iter)]
	if !ok {
		return codeInternal
	}
	*valid = 0
	if it.pos >= len(it.entries) {
		return 0
	}
	e := it.entries[it.pos]
	it.pos++
	*valid = 1
	*key, *klen = cBytes(e.Key)
	*val, *vlen = cBytes(e.Value)
	return 0
}

//export goStoreIterClose
func goStoreIterClose(ctx unsafe.Pointer, iter C.uint64_t) {
	delete(handleOf(ctx).iters, uint64(iter))
}
