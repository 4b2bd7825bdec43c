// A TCP proxy in front of a service (PostgreSQL), to give it faults the shared server must never
// suffer: `freeze` stops passing bytes on (held, as in the buffers of a process that stopped
// running: connections stay open, nothing answers), `cut` drops every connection and refuses
// new ones (a restart), `restore` ends either.
import net from 'node:net';

export class TcpProxy {
  /** Each open socket and how to pass on what it held while frozen. */
  private readonly sockets = new Map<net.Socket, () => void>();
  private mode: 'open' | 'frozen' | 'down' = 'open';
  private readonly server: net.Server;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    if (this.mode === 'down') {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      const held: Buffer[] = [];
      this.sockets.set(from, () => {
        for (const chunk of held.splice(0)) to.write(chunk);
      });
      from.on('data', (chunk: Buffer) => {
        if (this.mode === 'open') to.write(chunk);
        else held.push(chunk);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }

  freeze(): void {
    this.mode = 'frozen';
  }

  /** Every connection is dropped and new ones are refused, until `restore`. */
  cut(): void {
    this.mode = 'down';
    for (const s of this.sockets.keys()) s.destroy();
  }

  restore(): void {
    this.mode = 'open';
    for (const flush of this.sockets.values()) flush();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
