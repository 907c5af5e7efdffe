import { createServer, type Server } from 'node:http';

/** A span as an OTLP receiver gets it, with its attributes flattened. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  attributes: Record<string, string | number>;
}

interface OtlpBody {
  resourceSpans: {
    scopeSpans: {
      spans: {
        traceId: string;
        spanId: string;
        name: string;
        attributes: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
      }[];
    }[];
  }[];
}

/** An OTLP/HTTP receiver (JSON, as the JavaScript exporter sends it) that keeps every span. */
export function otlpReceiver(): { server: Server; spans: OtlpSpan[] } {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const data = JSON.parse(body) as OtlpBody;
        for (const resource of data.resourceSpans)
          for (const scope of resource.scopeSpans)
            for (const span of scope.spans)
              spans.push({
                traceId: span.traceId,
                spanId: span.spanId,
                name: span.name,
                attributes: Object.fromEntries(
                  span.attributes.map((a) => [a.key, a.value.stringValue ?? Number(a.value.intValue)]),
                ),
              });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return { server, spans };
}

/** One metric of a Prometheus exposition, by its `cell` label. */
export function metricByCell(text: string, metric: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const match of text.matchAll(new RegExp(`^${metric}\\{cell="([^"]+)"[^}]*\\} (\\S+)$`, 'gm')))
    values.set(match[1]!, Number(match[2]));
  return values;
}

/** Scrapes a /metrics endpoint every 300 ms until stopped; keeps every answer. */
export function scrapeWhileRunning(port: number): { scrapes: string[]; stop: () => Promise<void> } {
  const scrapes: string[] = [];
  let scraping = true;
  const loop = (async () => {
    while (scraping) {
      try {
        scrapes.push(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      } catch {
        // not up yet, or already down
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  })();
  return {
    scrapes,
    async stop() {
      scraping = false;
      await loop;
    },
  };
}
