package rawjson

// Valid reports whether data is exactly one JSON value, with white space
// around it allowed: the same answer as encoding/json.Valid, which it
// replaces on the request path at several times the speed. Like
// encoding/json it accepts invalid UTF-8 inside strings (decoding replaces
// it) and refuses nesting deeper than 10,000 levels. FuzzValid holds the two
// to the same answers.
func Valid(data []byte) bool {
	// One pass, no recursion: containers holds the open brackets, inline
	// for ordinary documents.
	var inline [64]byte
	containers := inline[:0]
	i := skipSpace(data, 0)
	for {
		// A value starts at i.
		if i >= len(data) {
			return false
		}
		switch c := data[i]; {
		case c == '{' || c == '[':
			if len(containers) == maxDepth {
				return false
			}
			containers = append(containers, c)
			i = skipSpace(data, i+1)
			if i < len(data) && data[i] == c+2 { // '}' and ']' follow '{' and '[' by 2
				containers = containers[:len(containers)-1]
				i++
				break
			}
			if c == '{' {
				if i = validName(data, i); i < 0 {
					return false
				}
			}
			continue
		case c == '"':
			if i = validString(data, i); i < 0 {
				return false
			}
		case c == '-' || c >= '0' && c <= '9':
			if i = validNumber(data, i); i < 0 {
				return false
			}
		case c == 't':
			if i = validLiteral(data, i, "true"); i < 0 {
				return false
			}
		case c == 'f':
			if i = validLiteral(data, i, "false"); i < 0 {
				return false
			}
		case c == 'n':
			if i = validLiteral(data, i, "null"); i < 0 {
				return false
			}
		default:
			return false
		}
		// A value ended before i: close containers until one goes on.
		for {
			i = skipSpace(data, i)
			if len(containers) == 0 {
				return i == len(data)
			}
			if i >= len(data) {
				return false
			}
			top := containers[len(containers)-1]
			if data[i] == top+2 {
				containers = containers[:len(containers)-1]
				i++
				continue
			}
			if data[i] != ',' {
				return false
			}
			i = skipSpace(data, i+1)
			if top == '{' {
				if i = validName(data, i); i < 0 {
					return false
				}
			}
			break
		}
	}
}

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// validName reads `"name" :` at i and returns where the value starts, or -1.
func validName(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	if i = validString(data, i); i < 0 {
		return -1
	}
	i = skipSpace(data, i)
	if i >= len(data) || data[i] != ':' {
		return -1
	}
	return skipSpace(data, i+1)
}

// validString checks the string whose quote is at i and returns the index after its
// closing quote, or -1.
func validString(data []byte, i int) int {
	for i++; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			if i+1 >= len(data) {
				return -1
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) {
					return -1
				}
				for _, h := range data[i+2 : i+6] {
					if !isHex(h) {
						return -1
					}
				}
				i += 6
			default:
				return -1
			}
		default:
			i++
		}
	}
	return -1
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// validNumber checks the number at i (RFC 8259's grammar: no leading zeros, no
// leading '+', digits on both sides of '.') and returns the index after it,
// or -1.
func validNumber(data []byte, i int) int {
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(data, i+1)
	default:
		return -1
	}
	if i < len(data) && data[i] == '.' {
		j := digits(data, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(data, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(data []byte, i int) int {
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i
}

func validLiteral(data []byte, i int, lit string) int {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}
