// Package secrets holds how statusgate makes, stores and compares secrets: random
// tokens and API keys (shown once, stored only as a SHA-256 hash), and the AES-256-GCM
// box that encrypts the secrets it must read back (HMAC secrets of receivers) under the
// key from STATUSGATE_SECRET_KEY or the key file generated on first start.
package secrets
