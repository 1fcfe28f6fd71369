-- wrk's summary as one line of JSON: requests per second and latency percentiles (µs).
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "rps": %.1f, "p50_us": %d, "p95_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, summary.requests / seconds, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), errors))
end
