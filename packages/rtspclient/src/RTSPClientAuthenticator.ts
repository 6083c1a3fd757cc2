import { randomBytes } from 'node:crypto';
import { booleanOption } from '@dorsvr/scheduler';
import {
  createDigestAuthorization,
  encodeBasicAuthorization,
  selectAuthChallenge,
  type SelectedAuthChallenge,
} from '@dorsvr/livemedia';

/** Options of an {@link RTSPClientAuthenticator}. */
export interface RTSPClientAuthenticatorOptions {
  /**
   * Answer a `Basic` challenge (default true). When false, a server offering only Basic gets no
   * credentials (the client uses this after a redirect to another origin). Anything but a
   * boolean throws `ERR_RTSP_CLIENT_OPTION`.
   */
  allowBasic?: boolean;
}

/**
 * The client side of RTSP authentication, for one server (origin): remembers the challenge the
 * server chose us to answer and writes an `Authorization:` header for each later request (Digest
 * with a fresh nonce count per request, as RFC 7616 wants for qop=auth; Basic as is). Nothing is
 * sent before a first challenge.
 */
export class RTSPClientAuthenticator {
  readonly username: string;
  readonly password: string;
  /** Whether a Basic challenge is answered. */
  readonly allowBasic: boolean;
  #selected: SelectedAuthChallenge | undefined;
  #refusedBasic = false;
  #nc = 0;
  readonly #cnonce = randomBytes(16).toString('hex');

  constructor(username: string, password: string, options: RTSPClientAuthenticatorOptions = {}) {
    this.username = username;
    this.password = password;
    // The string 'false' must not mean "send the password in the clear" (fail closed).
    this.allowBasic = booleanOption(options.allowBasic, 'allowBasic', 'ERR_RTSP_CLIENT_OPTION', true);
  }

  /** True when the last challenge offered only Basic and Basic is not allowed. */
  get refusedBasic(): boolean {
    return this.#refusedBasic;
  }

  /** The scheme being answered (`Digest`, `Basic`), or undefined before any challenge. */
  get scheme(): 'Digest' | 'Basic' | undefined {
    return this.#selected?.scheme;
  }

  /** The Digest algorithm in use, when Digest. */
  get algorithm(): string | undefined {
    return this.#selected?.scheme === 'Digest' ? this.#selected.challenge.algorithm : undefined;
  }

  /**
   * Takes the `WWW-Authenticate` values of a 401. Returns whether retrying makes sense: a first
   * challenge, or a new nonce marked `stale=true` (the credentials were right, the nonce expired).
   */
  onChallenge(values: readonly string[], hadCredentialsOnRequest: boolean): boolean {
    const sel = selectAuthChallenge(values);
    this.#refusedBasic = sel?.scheme === 'Basic' && !this.allowBasic;
    if (sel === undefined || this.#refusedBasic) return false;
    const stale = sel.scheme === 'Digest' && sel.challenge.stale;
    const prev = this.#selected;
    this.#selected = sel;
    this.#nc = 0;
    if (!hadCredentialsOnRequest) return true;
    // Our credentials were refused: only a stale nonce (with a different nonce) is worth a retry.
    return stale && !(prev?.scheme === 'Digest' && sel.challenge.nonce === prev.challenge.nonce);
  }

  /** The `Authorization:` value for a request, or undefined before any challenge. */
  authorize(method: string, uri: string): string | undefined {
    const sel = this.#selected;
    if (sel === undefined) return undefined;
    if (sel.scheme === 'Basic') return encodeBasicAuthorization(this.username, this.password);
    this.#nc++;
    return createDigestAuthorization({
      challenge: sel.challenge,
      username: this.username,
      password: this.password,
      method,
      uri,
      cnonce: this.#cnonce,
      nc: this.#nc,
    }).header;
  }
}
