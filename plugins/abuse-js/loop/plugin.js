// Abuse fixture: a filter that never returns. Written without the SDK (raw
// jco exports) so it exercises the host directly: Herald must stop it at the
// CPU deadline (deadline_exceeded) and recycle the instance.
export const filter = {
  checkConfig(_config) {},
  filter(_event, _config) {
    for (;;) {}
  },
};
