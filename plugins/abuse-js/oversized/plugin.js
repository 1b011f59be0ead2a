// Abuse fixture: a transform that returns an 8 MiB body. Written without the
// SDK (raw jco exports) so it exercises the host directly: Herald must refuse
// the output as too large instead of signing and sending it.
export const transform = {
  checkConfig(_config) {},
  transform(_event, request, _config) {
    const body = new Uint8Array(8 << 20);
    body.fill(0x61); // 'a'
    return { headers: request.headers, body };
  },
};
