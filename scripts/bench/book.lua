-- wrk script: each request books the next free half-hour slot, spreading requests over a range
-- of resources. Arguments: first_resource resources base_epoch token
local counter = 0
local first, nres, base, token
local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  first, nres, base, token = tonumber(args[1]), tonumber(args[2]), tonumber(args[3]), args[4]
end

function request()
  -- Unique per request across both threads: thread id in the low bit.
  local n = counter * 2 + tid
  counter = counter + 1
  local resource = first + (n % nres)
  local start = base + math.floor(n / nres) * 1800
  local body = string.format('{"resource_id":%d,"start":"%s","end":"%s","purpose":"benchmark"}',
    resource, os.date("!%Y-%m-%dT%H:%M:%SZ", start), os.date("!%Y-%m-%dT%H:%M:%SZ", start + 1800))
  return wrk.format("POST", "/api/v1/bookings",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end
