variable "name" {
  description = "Base name of every resource (letters and digits, 3-16: it becomes part of globally unique names)."
  type        = string
  default     = "scout"
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,15}$", var.name))
    error_message = "name must be 3-16 lowercase letters and digits, starting with a letter."
  }
}

variable "location" {
  description = "Azure region of the namespace, the capture storage and the key vault."
  type        = string
  default     = "southeastasia"
}

variable "resource_group_name" {
  description = "An existing resource group to deploy into; null creates <name>-rg."
  type        = string
  default     = null
}

variable "throughput_units" {
  description = "Event Hubs throughput units (1 TU = 1 MB/s or 1,000 events/s in)."
  type        = number
  default     = 2
  validation {
    condition     = var.throughput_units >= 1 && var.throughput_units <= 40
    error_message = "throughput_units must be between 1 and 40 (Standard tier)."
  }
}

variable "auto_inflate_max_throughput_units" {
  description = "Auto-inflate ceiling; 0 turns auto-inflate off."
  type        = number
  default     = 10
  validation {
    condition     = var.auto_inflate_max_throughput_units == 0 || (var.auto_inflate_max_throughput_units >= 1 && var.auto_inflate_max_throughput_units <= 40)
    error_message = "auto_inflate_max_throughput_units must be 0 (off) or between 1 and 40."
  }
}

variable "local_auth_enabled" {
  description = "SAS (connection string) authentication. The devices and the Kafka endpoint use it; false leaves Entra ID only."
  type        = bool
  default     = true
}

variable "hubs" {
  description = "The event contract's hubs (scout_edge/contract.py) with their partitions and retention in days."
  type = map(object({
    partitions     = number
    retention_days = number
  }))
  default = {
    "eh-pi-stt-raw"          = { partitions = 8, retention_days = 7 }
    "eh-pi-visual-stream"    = { partitions = 8, retention_days = 7 }
    "eh-pi-annotated-events" = { partitions = 4, retention_days = 7 }
    "eh-insight-feedback"    = { partitions = 2, retention_days = 7 }
    "eh-device-heartbeat"    = { partitions = 4, retention_days = 7 }
  }
  validation {
    condition     = alltrue([for h in values(var.hubs) : h.partitions >= 1 && h.partitions <= 32 && h.retention_days >= 1 && h.retention_days <= 7])
    error_message = "Each hub needs 1-32 partitions and 1-7 days of retention (Standard tier)."
  }
}

variable "consumer_groups" {
  description = "One consumer group per reader of every hub: the medallion, Capture's checks, ad-hoc reads."
  type        = set(string)
  default     = ["medallion", "capture", "adhoc"]
  validation {
    condition     = contains(var.consumer_groups, "medallion")
    error_message = "The medallion reads every hub with the consumer group 'medallion'."
  }
}

variable "capture_interval_seconds" {
  description = "Capture writes a file per partition at least this often (60-900)."
  type        = number
  default     = 300
  validation {
    condition     = var.capture_interval_seconds >= 60 && var.capture_interval_seconds <= 900
    error_message = "capture_interval_seconds must be between 60 and 900."
  }
}

variable "secret_lifetime_hours" {
  description = "Key Vault secrets expire after this long; rotate the keys and re-apply before then."
  type        = number
  default     = 8760
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = { project = "scout" }
}
