-- wrk script: POST pre-signed Stripe events, each thread cycling through its own share.
-- usage: wrk -t T -c C -d D -s bench/webhooks.lua http://127.0.0.1:PORT -- FILE T
-- FILE: one request per line, "<Stripe-Signature>\t<json body>".
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  reqs = {}
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == tid then
      local tab = line:find("\t", 1, true)
      local sig, body = line:sub(1, tab - 1), line:sub(tab + 1)
      reqs[#reqs + 1] = wrk.format("POST", "/webhooks/stripe/", {
        ["Content-Type"] = "application/json; charset=utf-8",
        ["Stripe-Signature"] = sig,
        ["Host"] = "127.0.0.1",
      }, body)
    end
    i = i + 1
  end
  share = #reqs
  sent, done_ok, dups, bad = 0, 0, 0, 0
end

function request()
  sent = sent + 1
  return reqs[((sent - 1) % share) + 1]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    done_ok = done_ok + 1
    if body:find('"duplicate": true', 1, true) then dups = dups + 1 end
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local s, ok, d, b, distinct = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    local ts = t:get("sent")
    s = s + ts
    ok = ok + t:get("done_ok")
    d = d + t:get("dups")
    b = b + t:get("bad")
    distinct = distinct + math.min(ts, t:get("share"))
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"sent": %d, "ok": %d, "duplicates": %d, "non2xx": %d, "distinct_sent": %d, '
      .. '"socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    s, ok, d, b, distinct,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
