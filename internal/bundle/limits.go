package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	opabundle "github.com/open-policy-agent/opa/v1/bundle"
)

// Limits of a bundle, checked by streaming its tar before OPA's reader buffers any body (it
// reads every file into memory before it checks signatures): a bundle holding entries
// nobody signed, or more entries or bytes than a team bundle needs, is refused without
// holding more than one read buffer of it.
const (
	// DefaultMaxEntries bounds the number of tar entries (files and directories).
	DefaultMaxEntries = 1000
	// maxSignaturesBytes bounds .signatures.json (a few JWTs).
	maxSignaturesBytes = 1 << 20
)

// Reasons a bundle is refused (RefusedError.Reason), the names refusals are counted under.
const (
	ReasonTooLarge    = "too_large"        // compressed or uncompressed size over MaxBytes
	ReasonTooMany     = "too_many_entries" // more than MaxEntries entries
	ReasonUnsigned    = "unsigned_entry"   // an entry the signature does not cover, or no signature
	ReasonSignature   = "bad_signature"    // the signature does not verify
	ReasonInvalid     = "invalid"          // not a readable or valid team bundle
	ReasonUnavailable = "unavailable"      // could not be fetched (reload)
)

// RefusedError is a bundle refused for Reason.
type RefusedError struct {
	Reason string
	Err    error
}

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// RefusalReason is the Reason of the RefusedError in err's chain, else ReasonInvalid.
func RefusalReason(err error) string {
	var r *RefusedError
	if errors.As(err, &r) {
		return r.Reason
	}
	return ReasonInvalid
}

func refused(reason, name, format string, args ...any) error {
	return &RefusedError{Reason: reason, Err: fmt.Errorf("bundle %s: "+format, append([]any{name}, args...)...)}
}

// prescan streams the gzipped tar once, holding no body: it counts entries and
// uncompressed bytes against the limits (a tar header's size is checked before its body is
// read, and the body as it streams, since the header is a claim), and, with a key, verifies
// .signatures.json and refuses an entry the signature does not list as soon as both its
// header and the signature have been seen (at its header when the signature comes first,
// as Write puts it).
func prescan(data []byte, name string, key *Key, maxBytes int64, maxEntries int) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return refused(ReasonInvalid, name, "not a gzip file: %v", err)
	}
	tr := tar.NewReader(zr)
	var (
		total   int64
		entries int
		signed  map[string]opabundle.FileInfo // nil until .signatures.json is verified
		pending []string                      // files seen before the signature
	)
	covered := func(p string) error {
		if _, ok := signed[p]; !ok {
			return refused(ReasonUnsigned, name, "file %s not included in bundle signature", p)
		}
		return nil
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return refused(ReasonInvalid, name, "entry %d: %v", entries+1, err)
		}
		entries++
		if entries > maxEntries {
			return refused(ReasonTooMany, name, "more than %d entries", maxEntries)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		p := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if h.Size < 0 || h.Size > maxBytes-total {
			return refused(ReasonTooLarge, name, "%s: entry of %d bytes takes the bundle over %d bytes uncompressed", p, h.Size, maxBytes)
		}
		if key != nil && opabundle.IsSignaturesFile(p) {
			if signed != nil {
				return refused(ReasonInvalid, name, "%s: a second signatures file", p)
			}
			if signed, err = verifySignatures(tr, key); err != nil {
				return refused(ReasonSignature, name, "%s: %v", p, err)
			}
			for _, q := range pending {
				if err := covered(q); err != nil {
					return err
				}
			}
			pending = nil
			total += h.Size
			continue
		}
		if key != nil {
			if signed == nil {
				pending = append(pending, p)
			} else if err := covered(p); err != nil {
				return err
			}
		}
		n, err := io.Copy(io.Discard, io.LimitReader(tr, maxBytes-total+1))
		total += n
		if err != nil {
			return refused(ReasonInvalid, name, "%s: %v", p, err)
		}
		if total > maxBytes {
			return refused(ReasonTooLarge, name, "%s: more than %d bytes uncompressed", p, maxBytes)
		}
	}
	if key != nil && signed == nil {
		return refused(ReasonUnsigned, name, "unsigned: bundle missing .signatures.json")
	}
	return nil
}

// verifySignatures reads .signatures.json (bounded) and verifies its JWT with key, returning
// the files it covers.
func verifySignatures(r io.Reader, key *Key) (map[string]opabundle.FileInfo, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSignaturesBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSignaturesBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxSignaturesBytes)
	}
	var sc opabundle.SignaturesConfig
	if err := json.Unmarshal(b, &sc); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return opabundle.VerifyBundleSignature(sc, verificationConfig(key))
}

func verificationConfig(key *Key) *opabundle.VerificationConfig {
	keys := map[string]*opabundle.KeyConfig{KeyID: {Key: key.Material, Algorithm: key.Algorithm}}
	return opabundle.NewVerificationConfig(keys, KeyID, "", nil)
}

// signaturesFirst re-packs a bundle OPA wrote so that .signatures.json is its first entry,
// which lets a reader refuse any entry the signature does not cover at its header. OPA's
// reader accepts entries in any order.
func signaturesFirst(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	type entry struct {
		h    *tar.Header
		data []byte
	}
	var sig, rest []entry
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		if opabundle.IsSignaturesFile(strings.TrimPrefix(h.Name, "/")) {
			sig = append(sig, entry{h, data})
		} else {
			rest = append(rest, entry{h, data})
		}
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for _, e := range append(sig, rest...) {
		if err := tw.WriteHeader(e.h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
