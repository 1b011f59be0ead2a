// herald-sdk/utf8.js: UTF-8 and bytes, with no TextEncoder/TextDecoder
// (QuickJS has neither).
//
// Owns encodeUtf8 and decodeUtf8 (public), and two helpers the other modules
// share: toBytes (a Uint8Array from bytes or a string, for Request bodies)
// and describe (a short description of any value, for error messages).
// Imports nothing.

// QuickJS has base64 built in (btoa/atob, Uint8Array.fromBase64 and
// toBase64): chained with the URI functions they convert UTF-8 in native
// code, ten times faster than a loop over characters in JavaScript (which is
// what engines without them, like Node 20, get).
const NATIVE_UTF8 =
  typeof btoa === 'function' &&
  typeof atob === 'function' &&
  typeof Uint8Array.fromBase64 === 'function' &&
  typeof Uint8Array.prototype.toBase64 === 'function' &&
  typeof String.prototype.toWellFormed === 'function';

const NON_ASCII = /[^\x00-\x7f]/;

/** Encodes a string as UTF-8 bytes; a lone surrogate becomes U+FFFD, as TextEncoder does. */
export function encodeUtf8(text) {
  const s = String(text);
  if (NATIVE_UTF8) {
    // ASCII is its own UTF-8. Else encodeURIComponent writes the UTF-8 bytes
    // as %XX and unescape makes each a char 0-255; btoa and fromBase64 turn
    // those chars into bytes.
    const bin = NON_ASCII.test(s) ? unescape(encodeURIComponent(s.toWellFormed())) : s;
    return Uint8Array.fromBase64(btoa(bin));
  }
  let size = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      size += 4;
      i++;
    } else size += 3;
  }
  const out = new Uint8Array(size);
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[j++] = c;
      continue;
    }
    if (c < 0x800) {
      out[j++] = 0xc0 | (c >> 6);
      out[j++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && (next & 0xfc00) === 0xdc00) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        out[j++] = 0xf0 | (cp >> 18);
        out[j++] = 0x80 | ((cp >> 12) & 0x3f);
        out[j++] = 0x80 | ((cp >> 6) & 0x3f);
        out[j++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    out[j++] = 0xe0 | (c >> 12);
    out[j++] = 0x80 | ((c >> 6) & 0x3f);
    out[j++] = 0x80 | (c & 0x3f);
  }
  return out;
}

/**
 * Decodes UTF-8 bytes. Malformed sequences become U+FFFD (one per maximal
 * invalid subpart, as TextDecoder does), or with `{ fatal: true }` throw a
 * TypeError naming the byte offset.
 */
export function decodeUtf8(bytes, { fatal = false } = {}) {
  const b = toBytes(bytes, 'decodeUtf8');
  if (NATIVE_UTF8) {
    try {
      // The reverse of encodeUtf8's chain; decodeURIComponent refuses
      // malformed UTF-8, which the loop below then handles.
      const bin = atob(b.toBase64());
      return NON_ASCII.test(bin) ? decodeURIComponent(escape(bin)) : bin;
    } catch (e) {
      if (!(e instanceof URIError)) throw e;
    }
  }
  return decodeUtf8Slowly(b, fatal);
}

function decodeUtf8Slowly(b, fatal) {
  const n = b.length;
  let out = '';
  let units = [];
  const flush = () => {
    out += String.fromCharCode.apply(null, units);
    units = [];
  };
  let i = 0;
  while (i < n) {
    const lead = b[i];
    if (lead < 0x80) {
      units.push(lead);
      i++;
    } else {
      let need;
      let cp;
      if (lead >= 0xc2 && lead <= 0xdf) {
        need = 1;
        cp = lead & 0x1f;
      } else if (lead >= 0xe0 && lead <= 0xef) {
        need = 2;
        cp = lead & 0x0f;
      } else if (lead >= 0xf0 && lead <= 0xf4) {
        need = 3;
        cp = lead & 0x07;
      } else {
        need = 0;
      }
      let k = 1;
      if (need > 0) {
        let lo = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
        let hi = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
        for (; k <= need; k++) {
          const c = i + k < n ? b[i + k] : -1;
          if (c < lo || c > hi) break;
          cp = (cp << 6) | (c & 0x3f);
          lo = 0x80;
          hi = 0xbf;
        }
      }
      if (need === 0 || k <= need) {
        if (fatal) throw new TypeError(`invalid UTF-8 at byte ${i}`);
        units.push(0xfffd);
        i += k;
      } else {
        if (cp >= 0x10000) {
          cp -= 0x10000;
          units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        } else {
          units.push(cp);
        }
        i += need + 1;
      }
    }
    if (units.length >= 8192) flush();
  }
  flush();
  return out;
}

export function toBytes(value, what) {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return encodeUtf8(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return Uint8Array.from(value);
  throw new TypeError(`${what}: expected a Uint8Array or a string, got ${describe(value)}`);
}

export function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = value.constructor && value.constructor.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${String(value)}`;
}
