-- wrk script of benchmarks.load: replays a list of authenticated GETs.
--
-- Arguments (after "--"): the request list benchmarks/load.py writes, one
-- "<kind>\t<session key>\t<path>" per line, the number of threads and where
-- to start in the list. Each thread walks the list from its own offset, so
-- the connections of a run request different plans. Any answer other than 200 counts as an
-- error (a 302 would be the login page: the session was not used).
-- done() prints one line "WRK_RESULT {json}" for load.py to read.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  requests = {}
  for line in io.lines(args[1]) do
    local _, key, path = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
    requests[#requests + 1] = wrk.format("GET", path, { Cookie = "sessionid=" .. key })
  end
  local count, start = tonumber(args[2]), tonumber(args[3])
  index = (start + math.floor((thread_number - 1) * #requests / count)) % #requests
  not_ok = 0
  -- "302:3,500:1": a string crosses from the thread to done() simply.
  not_ok_statuses = ""
end

function request()
  index = index % #requests + 1
  return requests[index]
end

local statuses = {}

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
    statuses[status] = (statuses[status] or 0) + 1
    local parts = {}
    for code, n in pairs(statuses) do
      parts[#parts + 1] = code .. ":" .. n
    end
    not_ok_statuses = table.concat(parts, ",")
  end
end

function done(summary, latency, _)
  local not_ok_total, by_status = 0, {}
  for _, thread in ipairs(threads) do
    not_ok_total = not_ok_total + thread:get("not_ok")
    for code, n in string.gmatch(thread:get("not_ok_statuses"), "(%d+):(%d+)") do
      by_status[code] = (by_status[code] or 0) + tonumber(n)
    end
  end
  local parts = {}
  for code, n in pairs(by_status) do
    parts[#parts + 1] = string.format('"%s": %d', code, n)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, '
      .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, '
      .. '"not_200": %d, "not_200_by_status": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.timeout,
    not_ok_total, table.concat(parts, ", ")))
end
