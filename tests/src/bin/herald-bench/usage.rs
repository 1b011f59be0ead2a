//! The bench's `--help` text.

/// What `--help` prints.
pub(crate) const USAGE: &str = "\
usage: herald-bench [scenario ...] [--events N] [--batch B] [--rate R] [--idle-wait S] [--otlp]

Runs the named scenarios (all of the first group when none is named) against
its own redis-server, the herald binary and a loopback receiver.

scenarios run when none is named:
  plain      N events to one webhook, one event per publish request
  plugins    N/2 events through a filter and a transform plugin
  fanout     N/100 events to 100 webhooks
  failing    N/2 events, every 5th request answered 500 (retried)
  slow       N/5 events to a receiver that answers after 200 ms
  latency    N/5 (at most 20,000) events offered at 2,000/s (or --rate R)
  drain      N events published first, then one worker delivers the backlog
  steady     N/10 (at most 9,000) events offered at 300/s: the CPU per event
             at low load, to compare with plain's flat-out figure
  ordered    N/2 events to a webhook ordered by data.k over 100 keys
  limited    N/2 events to a webhook rate-limited to 10,000/s (burst 10,000)
  https      N/2 events to an HTTPS receiver speaking HTTP/1.1 only
  https-h2   N/2 events to an HTTPS receiver offering HTTP/2 by ALPN
scenarios run only when named:
  cluster, memory, abusive-plugins, hanging, ui-log

options:
  --events N     events per scenario (default 100000)
  --batch B      events per publish request, 1 to 1000 (default 1)
  --rate R       events per second the latency scenario offers (default 2000)
  --idle-wait S  seconds before reading idle RSS (default 2)
  --otlp         export traces to an OTLP/HTTP endpoint in the bench that
                 discards them (sampling as OTEL_TRACES_SAMPLER says)
  --help, -h     this text";
