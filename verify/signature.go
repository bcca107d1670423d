package verify

import (
	"context"
	"strconv"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"
)

// checkSignature is the key lookup and the signature check.
func (v *Verifier) checkSignature(ctx context.Context, tok *token, r *Result) (Check, Check) {
	key := Check{Name: CheckKey}
	sig := Check{Name: CheckSignature}
	failKey := func(code Code, params Params, advice ...Advice) (Check, Check) {
		key.Status, key.Code, key.Params, key.Advice = Fail, code, params, advice
		sig.Status, sig.Code = Skip, CodeNoKey
		return key, sig
	}
	alg := tok.alg
	weak := v.Rules.AllowWeakSecret
	if len(v.Rules.Algs) > 0 && !contains(v.Rules.Algs, alg) {
		key.Expected, key.Actual = strings.Join(v.Rules.Algs, ", "), alg
		key.By = v.Rules.by(RuleAlg)
		return failKey(CodeAlgNotAllowed, Params{{"alg", alg}})
	}
	if !knownAlg(alg) {
		return failKey(CodeAlgUnknown, Params{{"alg", alg}})
	}
	if v.Keys == nil {
		return failKey(CodeKeyNone, nil)
	}
	matched, refreshed, err := v.Keys.lookup(ctx, tok.kid)
	if refreshed && tok.kid != "" {
		r.Notes = append(r.Notes, "the keys were refetched once because a token named a kid they lacked")
	}
	// Keys a --key file held but jwtrace refused are in the set only so
	// that a token naming one is told why.
	matched, refusedKey := dropRefused(matched, tok.kid)
	if len(matched) == 0 && refusedKey != nil {
		return failKey(CodeKeyRefused, Params{{"kid", tok.kid}, {"source", refusedKey.Source}, {"reason", refusedKey.refused}}, Advice{Code: AdviceRefusedKey})
	}
	if len(matched) == 0 {
		p := Params{{"kid", tok.kid}, {"origin", v.Keys.Origin}, {"kids", kids(v.Keys.Keys())}}
		if refreshed {
			p = append(p, Param{"refetched", "true"})
		}
		if err != nil {
			p = append(p, Param{"refetch_error", err.Error()})
		}
		return failKey(CodeKidNotFound, p, Advice{Code: AdviceKidUnknown})
	}
	usable := matched
	for i := range matched {
		if !matched[i].allows(alg, weak) {
			// Some do not fit: copy those that do.
			usable = nil
			for _, k := range matched {
				if k.allows(alg, weak) {
					usable = append(usable, k)
				}
			}
			break
		}
	}
	if len(usable) == 0 {
		if strings.HasPrefix(alg, "HS") {
			secrets := 0
			for _, k := range matched {
				if k.Type == "oct" {
					secrets++
				}
			}
			if secrets == 0 {
				return failKey(CodeKeyConfusion, Params{{"alg", alg}}, Advice{Code: AdviceKeyConfusion})
			}
			return failKey(CodeSecretShort, Params{{"alg", alg}}, Advice{Code: AdviceRule, Params: Params{{"rule", RuleAllowWeakSecret}}})
		}
		var descr []string
		for _, k := range matched {
			d := k.Name()
			if algs := k.Algorithms(weak); len(algs) > 0 {
				d += " for " + strings.Join(algs, "/")
			}
			descr = append(descr, d)
		}
		return failKey(CodeKeyNoFit, Params{{"alg", alg}, {"keys", strings.Join(descr, "; ")}})
	}
	if tok.kid != "" && len(usable) > 1 && usable[0].ID == tok.kid {
		return failKey(CodeKidAmbiguous, Params{{"count", strconv.Itoa(len(usable))}, {"origin", v.Keys.Origin}, {"kid", tok.kid}}, Advice{Code: AdviceFixKeySet})
	}
	key.Status = Pass
	switch {
	case v.brief:
		key.Code = CodeKeyOK
	case len(usable) == 1:
		key.Code, key.Params = CodeKeyOK, Params{{"key", usable[0].withSource()}}
	default:
		key.Code, key.Params = CodeKeyCandidates, Params{{"count", strconv.Itoa(len(usable))}, {"alg", alg}}
	}

	for i := range usable {
		k := &usable[i]
		// The format check has matched the header's alg, refused crit and
		// b64, and decoded the signature strictly; the key was chosen for
		// this alg above. What is left is the signature math, which jwx's
		// building block does.
		if err := jwsbb.Verify(k.Public, alg, tok.signingInput, tok.sig); err == nil {
			sig.Status, sig.Code = Pass, CodeSigOK
			if !v.brief {
				sig.Params = Params{{"key", k.Name()}}
				if len(usable) > 1 {
					key.Code, key.Params = CodeKeyOK, Params{{"key", k.withSource()}}
				}
			}
			r.Key = k
			return key, sig
		}
	}
	sig.Status, sig.Code = Fail, CodeSigInvalid
	if len(usable) == 1 {
		sig.Params = Params{{"key", usable[0].Name()}}
	} else {
		sig.Params = Params{{"count", strconv.Itoa(len(usable))}}
	}
	sizeCode, want := sigSizeProblem(usable, alg, len(tok.sig))
	switch {
	case sizeCode != "":
		sig.Code = sizeCode
		sig.Params = append(sig.Params, Param{"bytes", strconv.Itoa(len(tok.sig))}, Param{"want", strconv.Itoa(want)}, Param{"alg", alg})
		if sizeCode == CodeSigTruncated {
			sig.Advice = []Advice{{Code: AdviceCopyWhole}}
		} else {
			sig.Advice = []Advice{{Code: AdviceExtraData}}
		}
	case tok.header.Has("jwk") || tok.header.Has("jku") || tok.header.Has("x5u") || tok.header.Has("x5c"):
		sig.Advice = []Advice{{Code: AdviceTokenCarriesKey}}
	case tok.header.Has("nonce"):
		// Microsoft Graph access tokens: Graph signs the header with the
		// SHA-256 of the nonce it shows, so the signature checks out only
		// at Graph (AzureAD/azure-activedirectory-identitymodel-extensions-
		// for-dotnet issues 609 and 853; MicrosoftDocs/azure-docs issue
		// 80018: "validate-jwt is not meant to validate tokens targeted
		// for the Graph api").
		sig.Code = CodeSigGraph
		sig.Advice = []Advice{{Code: AdviceGraphToken}}
	default:
		sig.Advice = []Advice{{Code: AdviceAltered}}
	}
	return key, sig
}
