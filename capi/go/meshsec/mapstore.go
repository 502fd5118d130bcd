package meshsec

import (
	"bytes"
	"sort"
)

// MapStore is an in-memory Store: a map with sorted iteration. A real host
// would run the callbacks on its own store inside its block transaction.
type MapStore struct {
	data map[string][]byte
}

// NewMapStore returns an empty store.
func NewMapStore() *MapStore { return &MapStore{data: map[string][]byte{}} }

// Len is the number of keys.
func (m *MapStore) Len() int { return len(m.data) }

func (m *MapStore) Get(key []byte) ([]byte, bool, error) {
	v, ok := m.data[string(key)]
	return v, ok, nil
}

func (m *MapStore) Set(key, value []byte) error {
	m.data[string(key)] = append([]byte(nil), value...)
	return nil
}

func (m *MapStore) Delete(key []byte) error {
	delete(m.data, string(key))
	return nil
}

func (m *MapStore) Range(begin, end []byte, reverse bool) ([]KV, error) {
	keys := make([]string, 0)
	for k := range m.data {
		kb := []byte(k)
		if bytes.Compare(kb, begin) < 0 {
			continue
		}
		if end != nil && bytes.Compare(kb, end) >= 0 {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys) // byte-wise order
	if reverse {
		for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
			keys[i], keys[j] = keys[j], keys[i]
		}
	}
	out := make([]KV, len(keys))
	for i, k := range keys {
		out[i] = KV{Key: []byte(k), Value: m.data[k]}
	}
	return out, nil
}
