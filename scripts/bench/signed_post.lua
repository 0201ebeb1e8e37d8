-- wrk script: POSTs one event, signed once at the start (valid for the receiver's five minutes),
-- to a webhook receiver: the most it can take. Arguments: webhook-id timestamp signature body
local id, stamp, sig, body
function init(args)
  id, stamp, sig, body = args[1], args[2], args[3], args[4]
end
function request()
  return wrk.format("POST", "/hooks", {
    ["Content-Type"] = "application/json", ["webhook-id"] = id,
    ["webhook-timestamp"] = stamp, ["webhook-signature"] = sig }, body)
end
