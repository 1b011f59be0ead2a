// Abuse fixture: a filter that throws a plain Error. Written without the SDK
// (raw jco exports) so it exercises the host directly: a thrown value that is
// not the WIT error variant ({tag, val}) traps, and Herald must report the
// trap and recycle the instance. (With the SDK the same throw would become
// failed("Error: ...").)
export const filter = {
  checkConfig(_config) {},
  filter(event, _config) {
    throw new Error(`fixture exception: cannot handle event ${event.id}`);
  },
};
