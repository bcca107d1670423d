package authority

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// maxPending bounds the device and refresh grants kept in memory: at most
// that many unexpired device codes (more are refused with 503
// temporarily_unavailable), and that many refresh grants (one more
// forgets the oldest; refusing would fail a login whose device code is
// already spent, or a refresh whose old token is already rotated out).
const maxPending = 10000

// expiredGrace is how long an expired device code is kept, so a device
// that polls late hears expired_token rather than an unknown code. It
// does not count toward maxPending.
const expiredGrace = 5 * time.Minute

// TokenResponse is the token endpoint's answer (RFC 6749 section 5.1).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	// IssuedTokenType is a token exchange's issued_token_type (RFC 8693
	// §2.2.1).
	IssuedTokenType string `json:"issued_token_type,omitempty"`
}

// refreshGrant is what a refresh token stands for.
type refreshGrant struct {
	client   string
	user     string
	scopes   []string
	aud      []string
	authTime time.Time
	expires  time.Time
	seq      uint64 // issue order
}

// grantRequest is what a token is issued for.
type grantRequest struct {
	client   *Client
	user     *User // nil for client credentials
	scopes   []string
	aud      []string
	authTime time.Time
	refresh  bool
	nonce    string // for the ID token (OpenID Connect Core §3.1.3.6)
}

func (a *Authority) token(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	grant := form.Get("grant_type")
	if grant == "" {
		writeError(w, r, invalidRequest("grant_type is missing"))
		return
	}
	client, err := a.authenticateClient(r, form)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var resp *TokenResponse
	switch grant {
	case GrantClientCredentials, GrantDeviceCode, GrantRefreshToken, GrantAuthorizationCode, GrantTokenExchange, GrantJWTBearer:
		if client.Public() && slices.Contains(confidentialGrants, grant) {
			writeError(w, r, oauthErr(http.StatusBadRequest, "unauthorized_client", "client %s is public: %s is for confidential clients (a client secret or private_key_jwt)", logValue(client.ID), grant))
			return
		}
		if !client.allows(grant) {
			writeError(w, r, oauthErr(http.StatusBadRequest, "unauthorized_client", "client %s may not use %s", logValue(client.ID), grant))
			return
		}
	default:
		writeError(w, r, oauthErr(http.StatusBadRequest, "unsupported_grant_type", "unsupported grant_type %s: use %s, %s, %s, %s, %s or %s", logValue(grant), GrantAuthorizationCode, GrantClientCredentials, GrantDeviceCode, GrantRefreshToken, GrantTokenExchange, GrantJWTBearer))
		return
	}
	switch grant {
	case GrantClientCredentials:
		resp, err = a.clientCredentials(client, form)
	case GrantDeviceCode:
		resp, err = a.deviceToken(r, client, form)
	case GrantRefreshToken:
		resp, err = a.refreshToken(client, form)
	case GrantAuthorizationCode:
		resp, err = a.codeToken(r, client, form)
	case GrantTokenExchange:
		resp, err = a.tokenExchange(client, form)
	case GrantJWTBearer:
		resp, err = a.onBehalfOf(client, form)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	logf(r, "grant=%s issued", shortGrant(grant))
	writeJSON(w, http.StatusOK, resp)
}

func shortGrant(g string) string {
	switch g {
	case GrantDeviceCode:
		return "device_code"
	case GrantTokenExchange:
		return "token-exchange"
	case GrantJWTBearer:
		return "on-behalf-of"
	}
	return g
}

func (a *Authority) clientCredentials(c *Client, form url.Values) (*TokenResponse, error) {
	scopes, err := a.scopes(c, form)
	if err != nil {
		return nil, err
	}
	aud, err := a.audience(c, form)
	if err != nil {
		return nil, err
	}
	return a.issue(grantRequest{client: c, scopes: scopes, aud: aud})
}

func (a *Authority) refreshToken(c *Client, form url.Values) (*TokenResponse, error) {
	rt := form.Get("refresh_token")
	if rt == "" {
		return nil, invalidRequest("refresh_token is missing")
	}
	now := a.cfg.Now()
	a.mu.Lock()
	g := a.refresh[rt]
	if g != nil && g.client == c.ID {
		// Rotation: a refresh token works once.
		delete(a.refresh, rt)
	}
	a.mu.Unlock()
	switch {
	case g == nil:
		return nil, invalidGrant("unknown or already used refresh token")
	case g.client != c.ID:
		return nil, invalidGrant("the refresh token was issued to another client")
	case !now.Before(g.expires):
		return nil, invalidGrant("the refresh token expired at %s", g.expires.UTC().Format(time.RFC3339))
	}
	scopes := g.scopes
	if s, ok := form["scope"]; ok {
		asked, err := parseScope(s[0])
		if err != nil {
			return nil, err
		}
		for _, x := range asked {
			if !slices.Contains(g.scopes, x) {
				return nil, oauthErr(http.StatusBadRequest, "invalid_scope", "scope %s was not granted originally", logValue(x))
			}
		}
		scopes = asked
	}
	u := a.user(g.user)
	if u == nil {
		return nil, invalidGrant("the user of this refresh token no longer exists")
	}
	return a.issue(grantRequest{client: c, user: u, scopes: scopes, aud: g.aud, authTime: g.authTime, refresh: true})
}

// standardScopes may always be asked for.
var standardScopes = []string{"openid", "profile", "email", "offline_access"}

// scopes checks the scope parameter against the client's allowed scopes.
func (a *Authority) scopes(c *Client, form url.Values) ([]string, error) {
	s, err := parseScope(form.Get("scope"))
	if err != nil {
		return nil, err
	}
	if len(c.Scopes) > 0 {
		for _, x := range s {
			if !slices.Contains(c.Scopes, x) && !slices.Contains(standardScopes, x) {
				return nil, oauthErr(http.StatusBadRequest, "invalid_scope", "client %s may not ask for scope %s (allowed: %s)", logValue(c.ID), logValue(x), strings.Join(c.Scopes, " "))
			}
		}
	}
	return s, nil
}

// parseScope splits a scope parameter, checking RFC 6749 section 3.3's
// characters and dropping duplicates.
func parseScope(s string) ([]string, error) {
	var out []string
	for _, x := range strings.Split(s, " ") {
		if x == "" {
			continue
		}
		for _, r := range x {
			if r < 0x21 || r == 0x22 || r == 0x5c || r > 0x7e {
				return nil, oauthErr(http.StatusBadRequest, "invalid_scope", "scope %s has a character scopes cannot hold", logValue(x))
			}
		}
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	if len(out) > 50 {
		return nil, oauthErr(http.StatusBadRequest, "invalid_scope", "too many scopes (%d)", len(out))
	}
	return out, nil
}

// audience is the audience and resource parameters (RFC 8707), else the
// client's audience, else the default.
func (a *Authority) audience(c *Client, form url.Values) ([]string, error) {
	var aud []string
	for _, v := range form["resource"] {
		u, err := url.Parse(v)
		if err != nil || !u.IsAbs() || u.Fragment != "" {
			return nil, oauthErr(http.StatusBadRequest, "invalid_target", "resource %s is not an absolute URI without a fragment", logValue(v))
		}
		aud = append(aud, v)
	}
	for _, v := range form["audience"] {
		if v == "" || len(v) > 1000 {
			return nil, invalidRequest("audience must be 1 to 1000 characters")
		}
		aud = append(aud, v)
	}
	slices.Sort(aud)
	aud = slices.Compact(aud)
	if len(aud) > 20 {
		return nil, invalidRequest("too many audiences (%d)", len(aud))
	}
	if len(aud) == 0 {
		aud = c.Audience
	}
	if len(aud) == 0 {
		aud = a.cfg.Audience
	}
	return aud, nil
}

// registeredClaims are the access token claims the authority sets (or,
// for the scope claims and auth_time, leaves out); configured user and
// client claims of these names are ignored.
var registeredClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "scp", "auth_time"}

// issue makes the tokens for a grant.
func (a *Authority) issue(g grantRequest) (*TokenResponse, error) {
	now := a.cfg.Now()
	exp := now.Add(a.cfg.TTL)
	jti, err := a.random(16)
	if err != nil {
		return nil, err
	}
	// The configured claims first, then the ones the authority sets, which
	// win: a user's or client's claims cannot change who issued the token,
	// for whom, for how long, or with what scopes.
	claims := map[string]any{}
	configured, sub := g.client.Claims, g.client.ID
	if g.user != nil {
		configured, sub = g.user.Claims, g.user.Subject
		claims["auth_time"] = g.authTime.Unix()
	}
	for k, v := range configured {
		if !slices.Contains(registeredClaims, k) {
			claims[k] = v
		}
	}
	for k, v := range map[string]any{
		"iss": a.Issuer(), "sub": sub, "aud": audClaim(g.aud),
		"exp": exp.Unix(), "iat": now.Unix(), "nbf": now.Unix(), "jti": jti,
		"client_id": g.client.ID,
	} {
		claims[k] = v
	}
	if len(g.scopes) > 0 {
		claims[a.cfg.ScopeClaim] = strings.Join(g.scopes, " ")
	}
	key := a.SigningKey()
	at, err := Sign(key, map[string]any{"typ": a.cfg.AccessTokenTyp}, claims)
	if err != nil {
		return nil, err
	}
	resp := &TokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(a.cfg.TTL / time.Second), Scope: strings.Join(g.scopes, " ")}
	if g.user != nil && slices.Contains(g.scopes, "openid") {
		idc := map[string]any{
			"iss": a.Issuer(), "sub": g.user.Subject, "aud": g.client.ID, "azp": g.client.ID,
			"exp": exp.Unix(), "iat": now.Unix(), "auth_time": g.authTime.Unix(),
		}
		for k, v := range g.user.Claims {
			if _, set := idc[k]; !set {
				idc[k] = v
			}
		}
		if g.nonce != "" {
			idc["nonce"] = g.nonce
		}
		if h := atHash(key.Alg, at); h != "" {
			idc["at_hash"] = h
		}
		if resp.IDToken, err = Sign(key, map[string]any{"typ": "JWT"}, idc); err != nil {
			return nil, err
		}
	}
	if g.user != nil && g.client.allows(GrantRefreshToken) {
		rt, err := a.random(32)
		if err != nil {
			return nil, err
		}
		a.mu.Lock()
		a.storeRefreshLocked(rt, &refreshGrant{client: g.client.ID, user: g.user.Subject, scopes: g.scopes, aud: g.aud, authTime: g.authTime, expires: now.Add(a.cfg.RefreshTTL)}, now)
		a.mu.Unlock()
		resp.RefreshToken = rt
	}
	return resp, nil
}

// audClaim is a single audience as a string, several as an array.
func audClaim(aud []string) any {
	if len(aud) == 1 {
		return aud[0]
	}
	return aud
}

// atHash is the OIDC at_hash of an access token: the left half of its
// hash, base64url.
func atHash(alg, token string) string {
	var h hash.Hash
	switch alg {
	case "RS256", "ES256", "PS256", "HS256":
		h = sha256.New()
	case "EdDSA":
		h = sha512.New()
	default:
		return ""
	}
	h.Write([]byte(token))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// random is n random bytes from Config.Rand, base64url.
func (a *Authority) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(a.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// secretEqual compares secrets in constant time (of their hashes, so the
// length does not leak either).
func secretEqual(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func jsonDecoder(r io.Reader) *json.Decoder {
	d := json.NewDecoder(r)
	d.UseNumber()
	return d
}

// sweepDevicesLocked forgets the device codes that expired more than
// expiredGrace ago and returns how many unexpired ones remain. When the
// codes in their grace period would fill the table, it forgets those too,
// so the table never holds more than maxDevices. a.mu is held.
func (a *Authority) sweepDevicesLocked(now time.Time) (live int) {
	for code, d := range a.devices {
		if now.Before(d.expires) {
			live++
		} else if !now.Before(d.expires.Add(expiredGrace)) {
			a.forgetDeviceLocked(code, d)
		}
	}
	if len(a.devices) >= a.maxDevices {
		for code, d := range a.devices {
			if !now.Before(d.expires) {
				a.forgetDeviceLocked(code, d)
			}
		}
	}
	return live
}

// storeRefreshLocked keeps a refresh grant. At maxRefresh it forgets the
// expired grants, and then, while still at the cap, the oldest. a.mu is
// held.
func (a *Authority) storeRefreshLocked(rt string, g *refreshGrant, now time.Time) {
	if len(a.refresh) >= a.maxRefresh {
		for k, old := range a.refresh {
			if !now.Before(old.expires) {
				delete(a.refresh, k)
			}
		}
	}
	for len(a.refresh) >= a.maxRefresh && len(a.refresh) > 0 {
		oldest := ""
		for k, old := range a.refresh {
			if oldest == "" || old.seq < a.refresh[oldest].seq {
				oldest = k
			}
		}
		delete(a.refresh, oldest)
	}
	a.refreshSeq++
	g.seq = a.refreshSeq
	a.refresh[rt] = g
}
