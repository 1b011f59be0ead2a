// herald-sdk/path.js: the dotted paths Herald's native trigger filters use
// (guest-sdk/src/path.rs, pinned by guest-sdk/src/path_vectors.json).
//
// Owns path (public: check, isValid, get/lookup, set, forEachMatch, remove)
// and pathGet, which Event.get uses.

import { hasOwn, isJsonObject, putOwn } from './json.js';

function checkPath(p) {
  if (typeof p !== 'string') return 'a path must be a string';
  if (p === '') return 'a path must not be empty';
  const index = p.split('.').indexOf('');
  return index < 0 ? null : `segment ${index + 1} of the path is empty`;
}

// The array index a segment names, if it is one (ASCII digits only), else -1.
function segmentIndex(segment) {
  if (!/^[0-9]+$/.test(segment)) return -1;
  const i = Number(segment);
  return Number.isSafeInteger(i) ? i : -1;
}

export function pathGet(value, p) {
  if (checkPath(p) !== null) return undefined;
  let current = value;
  for (const segment of p.split('.')) {
    if (Array.isArray(current)) {
      const i = segmentIndex(segment);
      if (i < 0 || i >= current.length) return undefined;
      current = current[i];
    } else if (isJsonObject(current)) {
      if (!hasOwn(current, segment)) return undefined;
      current = current[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

function pathSet(value, p, newValue) {
  if (checkPath(p) !== null) return false;
  const segments = p.split('.');
  let current = value;
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s];
    const last = s === segments.length - 1;
    if (Array.isArray(current)) {
      const i = segmentIndex(segment);
      if (i < 0 || i >= current.length) return false;
      if (last) {
        current[i] = newValue;
        return true;
      }
      current = current[i];
    } else if (isJsonObject(current)) {
      if (last) {
        putOwn(current, segment, newValue);
        return true;
      }
      if (!hasOwn(current, segment)) putOwn(current, segment, {});
      current = current[segment];
    } else {
      return false;
    }
  }
  return false;
}

function walk(value, segments, at, f) {
  const head = segments[at];
  if (at === segments.length - 1) {
    let keys = [];
    if (Array.isArray(value)) {
      if (head === '*') keys = value.map((_, i) => i);
      else {
        const i = segmentIndex(head);
        if (i >= 0 && i < value.length) keys = [i];
      }
    } else if (isJsonObject(value)) {
      if (head === '*') keys = Object.keys(value);
      else if (hasOwn(value, head)) keys = [head];
    }
    for (const key of keys) f(value, key);
    return keys.length;
  }
  if (Array.isArray(value)) {
    if (head === '*') return value.reduce((n, v) => n + walk(v, segments, at + 1, f), 0);
    const i = segmentIndex(head);
    return i >= 0 && i < value.length ? walk(value[i], segments, at + 1, f) : 0;
  }
  if (isJsonObject(value)) {
    if (head === '*') return Object.keys(value).reduce((n, k) => n + walk(value[k], segments, at + 1, f), 0);
    return hasOwn(value, head) ? walk(value[head], segments, at + 1, f) : 0;
  }
  return 0;
}

function pathForEachMatch(value, p, f) {
  if (checkPath(p) !== null) return 0;
  return walk(value, p.split('.'), 0, f);
}

function pathRemove(value, p) {
  const found = [];
  pathForEachMatch(value, p, (parent, key) => found.push([parent, key]));
  // Last first, so removing an array element does not shift the ones still to go.
  for (let k = found.length - 1; k >= 0; k--) {
    const [parent, key] = found[k];
    if (Array.isArray(parent)) parent.splice(key, 1);
    else delete parent[key];
  }
  return found.length;
}

/**
 * The dotted paths Herald's native trigger filters use too
 * (guest-sdk/src/path.rs, pinned by guest-sdk/src/path_vectors.json).
 *
 * A path is one or more segments separated by '.': `data.order.status`,
 * `data.items.0.sku`. Against an object a segment is a member name; against
 * an array it is an element index written in ASCII digits (`0`, `12`; not
 * `+1` or `-1`). No segment may be empty, so '', 'a..b', '.a' and 'a.' are
 * not paths, and a member whose name contains '.' cannot be addressed.
 * forEachMatch and remove (and only they) also take '*' for "every member
 * or element".
 */
export const path = Object.freeze({
  /** null when `p` is a path, else why not ("segment 2 of the path is empty"). */
  check: checkPath,
  /** Whether `p` is a path. */
  isValid: (p) => checkPath(p) === null,
  /** The value at `p`, or undefined when absent (a JSON null is found as null). */
  get: pathGet,
  /** The same as get (the Rust name). */
  lookup: pathGet,
  /**
   * Sets the value at `p`, creating intermediate objects as needed. Returns
   * false (changing nothing) when `p` is not a path, a segment runs into a
   * scalar, or an array index is out of range.
   */
  set: pathSet,
  /**
   * Calls f(parent, key) for every match of `p` ('*' matches every member or
   * element): key is the member name, or the element's index as a number
   * (`items.01` gives 1), so `parent[key]` is the match. Returns the count.
   */
  forEachMatch: pathForEachMatch,
  /** Removes every match of `p` (members deleted, elements spliced out); returns the count. */
  remove: pathRemove,
});
