// tail.js: the live tail WebSocket (GET /api/v1/tail?q=..., same origin). The server sends one
// JSON object per text message: {type:"event",event}, {type:"dropped",count},
// {type:"error",error,position} (then closes).
import { api } from './api.js';

export class Tail {
  constructor(q, handlers) {
    this.h = handlers;
    this.open = false;
    this.closed = false;
    try {
      this.ws = new WebSocket(api.tailUrl(q));
    } catch (e) {
      queueMicrotask(() => this.h.onClose?.('live tail unavailable: ' + e.message));
      return;
    }
    this.ws.addEventListener('open', () => { this.open = true; this.h.onOpen?.(); });
    this.ws.addEventListener('message', (m) => {
      if (typeof m.data !== 'string') return;
      let msg;
      try { msg = JSON.parse(m.data); } catch { return; }
      if (!msg || typeof msg !== 'object') return;
      if (msg.type === 'event') this.h.onEvent?.(msg.event);
      else if (msg.type === 'dropped') this.h.onDropped?.(Number(msg.count) || 0);
      else if (msg.type === 'error') { this.gotError = true; this.h.onError?.(msg); }
    });
    this.ws.addEventListener('close', (e) => {
      const wasOpen = this.open;
      this.open = false;
      if (this.closed || this.gotError) return;
      this.closed = true;
      this.h.onClose?.(wasOpen ? `live tail disconnected (${e.code})` : 'live tail unavailable');
    });
    this.ws.addEventListener('error', () => {});
  }

  close() {
    this.closed = true;
    this.open = false;
    try { this.ws?.close(1000); } catch { /* already closed */ }
  }
}
