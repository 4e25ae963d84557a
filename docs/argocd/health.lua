-- Argo CD resource health for kafkalink.io ClusterLink and KafkaRestClass.
-- Install it under both keys of argocd-cm (see docs/gitops.md):
--   resource.customizations.health.kafkalink.io_ClusterLink
--   resource.customizations.health.kafkalink.io_KafkaRestClass
-- It reads the conditions the controller writes (docs/design.md, kstatus
-- style): Ready, and for ClusterLink also Reconciling and Stalled.
local hs = {}

local function conditions(status)
  local byType = {}
  if status ~= nil and status.conditions ~= nil then
    for _, c in ipairs(status.conditions) do
      byType[c.type] = c
    end
  end
  return byType
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

local function describe(c)
  if c == nil then
    return ""
  end
  local msg = c.reason or ""
  if c.message ~= nil and c.message ~= "" then
    msg = msg .. ": " .. c.message
  end
  return msg
end

-- notObserved: the controller has not yet reported on the latest spec.
local function notObserved(status, ready)
  local gen = obj.metadata.generation
  if gen == nil then
    return false
  end
  if status.observedGeneration ~= nil and status.observedGeneration < gen then
    return true
  end
  return ready ~= nil and ready.observedGeneration ~= nil and ready.observedGeneration < gen
end

local status = obj.status
local cond = conditions(status)
local ready = cond["Ready"]

if obj.kind == "KafkaRestClass" then
  if ready == nil or notObserved(status, ready) then
    hs.status = "Progressing"
    hs.message = "Waiting for the kafkalink controller to check the REST endpoint and credentials"
  elseif ready.status == "True" then
    hs.status = "Healthy"
    hs.message = describe(ready)
  elseif ready.status == "False" then
    hs.status = "Degraded"
    hs.message = describe(ready)
  else
    hs.status = "Progressing"
    hs.message = describe(ready)
  end
  return hs
end

-- ClusterLink.
if obj.metadata.deletionTimestamp ~= nil then
  -- The finalizer fails over the mirror topics and deletes the link.
  hs.status = "Progressing"
  if status ~= nil and status.state == "DELETION_BLOCKED" then
    hs.status = "Degraded"
  end
  hs.message = describe(ready)
  if hs.message == "" then
    hs.message = "Deleting"
  end
  return hs
end
if status == nil or ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the kafkalink controller"
  return hs
end
if notObserved(status, ready) then
  hs.status = "Progressing"
  hs.message = "Waiting for the kafkalink controller to observe generation " .. tostring(obj.metadata.generation)
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end
if ready.reason == "ReconciliationPaused" then
  hs.status = "Suspended"
  hs.message = describe(ready)
  return hs
end
if isTrue(cond["Stalled"]) then
  hs.status = "Degraded"
  hs.message = describe(ready)
  return hs
end
if isTrue(cond["Reconciling"]) then
  hs.status = "Progressing"
  hs.message = describe(ready)
  return hs
end
-- A status written before Reconciling and Stalled existed: judge by reason.
local progressing = {Reconciling = true, MirrorsTransitioning = true, Deleting = true, SourceInitiatedPending = true}
if progressing[ready.reason] or ready.status ~= "False" then
  hs.status = "Progressing"
else
  hs.status = "Degraded"
end
hs.message = describe(ready)
return hs
