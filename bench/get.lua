-- wrk script: GET one path with a session cookie; prints BENCH_JSON like webhooks.lua.
-- usage: wrk -t T -c C -d D -s bench/get.lua http://127.0.0.1:PORT -- PATH COOKIE
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  path, cookie = args[1], args[2]
  ok, bad = 0, 0
end

function request()
  return wrk.format("GET", path, { ["Cookie"] = cookie, ["Host"] = "127.0.0.1" })
end

function response(status, headers, body)
  if status >= 200 and status < 400 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    b = b + t:get("bad")
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"ok": %d, "non2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), o, b,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
