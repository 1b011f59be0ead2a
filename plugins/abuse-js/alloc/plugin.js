// Abuse fixture: a filter that keeps allocating 1 MiB buffers and keeping
// them. Written without the SDK (raw jco exports) so it exercises the host
// directly: Herald's memory cap must stop it (out of memory) without
// touching the host.
const kept = [];

export const filter = {
  checkConfig(_config) {},
  filter(_event, _config) {
    for (;;) {
      const block = new Uint8Array(1 << 20);
      block.fill(kept.length & 0xff); // touch every page
      kept.push(block);
    }
  },
};
