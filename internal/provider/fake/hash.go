package fake

import "github.com/tollgate-gw/tollgate/internal/llm"

// FNV-1a, 64 bit: stable across runs and platforms, unlike hash/maphash,
// so a reply seen in one test run is the reply of every run.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

type fnv uint64

func newFNV() fnv { return fnvOffset }

func (h fnv) str(s string) fnv {
	for i := 0; i < len(s); i++ {
		h ^= fnv(s[i])
		h *= fnvPrime
	}
	return h
}

func (h fnv) bytes(b []byte) fnv {
	for _, c := range b {
		h ^= fnv(c)
		h *= fnvPrime
	}
	return h
}

func (h fnv) u64(v uint64) fnv {
	for range 8 {
		h ^= fnv(v & 0xff)
		h *= fnvPrime
		v >>= 8
	}
	return h
}

// sep separates fields so that ("ab","c") and ("a","bc") hash differently.
func (h fnv) sep() fnv {
	h ^= 0xff
	h *= fnvPrime
	return h
}

// requestHash digests what decides the reply: the model, the conversation
// and the seed. Sampling parameters other than seed do not change a
// deterministic model's answer, so they are left out.
func requestHash(req *llm.Request) uint64 {
	h := newFNV().str(req.Model).sep()
	for i := range req.Messages {
		m := &req.Messages[i]
		h = h.str(string(m.Role)).sep().str(m.Name).sep().str(m.ToolCallID).sep()
		for j := range m.Content {
			p := &m.Content[j]
			h = h.str(string(p.Type)).sep().str(p.Text).sep()
			if p.Image != nil {
				h = h.str(p.Image.URL).sep().bytes(p.Image.Data).sep()
			}
		}
		for _, tc := range m.ToolCalls {
			h = h.str(tc.ID).sep().str(tc.Name).sep().str(tc.Arguments).sep()
		}
	}
	if req.Seed != nil {
		h = h.u64(uint64(*req.Seed))
	}
	return uint64(h)
}

// choiceHash derives choice i's hash; choice 0 keeps the request's own, so
// the first of n choices is the n=1 reply.
func choiceHash(h uint64, i int) uint64 {
	if i == 0 {
		return h
	}
	return splitmix(h ^ uint64(i)*0x9e3779b97f4a7c15)
}

// splitmix is SplitMix64's step: a cheap, well-mixed sequence from a seed.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// hexID returns prefix followed by v as 16 lowercase hex digits, in one
// allocation.
func hexID(prefix string, v uint64) string {
	const digits = "0123456789abcdef"
	var buf [48]byte
	b := append(buf[:0], prefix...)
	var hex [16]byte
	for i := 15; i >= 0; i-- {
		hex[i] = digits[v&0xf]
		v >>= 4
	}
	return string(append(b, hex[:]...))
}
