/** The peer ID at the end of a "/.../p2p/<peerId>" multiaddress, or null. */
export function peerIdOfMultiaddr(multiAddress: string): string | null {
  const m = /\/p2p\/([1-9A-HJ-NP-Za-km-z]{46,60})$/.exec(multiAddress.trim());
  return m ? m[1]! : null;
}
