-- wrk script of the social benchmark: each request is a GET of one path from SOCIAL_PATHS (a
-- file, one path a line, e.g. /api/v1/posts/<id>) with the bearer token of one person from
-- SOCIAL_TOKENS (a file, one access token a line), both drawn at random from SOCIAL_SEED and the
-- thread's number (drive.py gives every run its own seed, so a run does not repeat the pairs
-- of the warm-up before it). Every response is counted by status, and done() prints one
-- machine-readable line (SOCIAL_WRK {json}) that scripts/bench/social/drive.py reads.

local function lines(name)
  local file = os.getenv(name)
  if file == nil or file == "" then
    error(name .. " is not set")
  end
  local out = {}
  for line in io.lines(file) do
    if line ~= "" then
      out[#out + 1] = line
    end
  end
  if #out == 0 then
    error(name .. " (" .. file .. ") is empty")
  end
  return out
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  paths = lines("SOCIAL_PATHS")
  -- One header table per person, made once (wrk.format adds Host to it on first use).
  headers = {}
  for i, token in ipairs(lines("SOCIAL_TOKENS")) do
    headers[i] = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json" }
  end
  math.randomseed((tonumber(os.getenv("SOCIAL_SEED")) or os.time()) + 7919 * id)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], headers[math.random(#headers)])
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    parts[#parts + 1] = string.format('"%s": %d', status, n)
  end
  local e = summary.errors
  io.write(string.format(
    'SOCIAL_WRK {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "errors": {"connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ", ")))
end
