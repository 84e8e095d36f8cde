/**
 * The mapping and normalisation steps of SASLprep (RFC 4013 2.1-2.2), which STUN applies to
 * usernames and passwords of long-term credentials (RFC 8489 9.2.2; OpaqueString of RFC 8265
 * does the same two steps): non-ASCII spaces (RFC 3454 C.1.2) become U+0020, "commonly mapped
 * to nothing" characters (B.1) are removed, then Unicode NFKC. The prohibited-output and bidi
 * checks (RFC 4013 2.3-2.4) are not applied.
 */

// RFC 3454 B.1: commonly mapped to nothing.
const MAP_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/gu;
// RFC 3454 C.1.2: non-ASCII space characters.
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/gu;

/** `text` after SASLprep mapping (RFC 4013 2.1) and NFKC normalisation (2.2). */
export function saslprep(text: string): string {
  return text.replace(NON_ASCII_SPACE, " ").replace(MAP_TO_NOTHING, "").normalize("NFKC");
}
