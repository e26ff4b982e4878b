data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "scout" {
  count    = var.resource_group_name == null ? 1 : 0
  name     = "${var.name}-rg"
  location = var.location
  tags     = var.tags
}

locals {
  resource_group_name = var.resource_group_name == null ? azurerm_resource_group.scout[0].name : var.resource_group_name
  # Every (hub, reader) pair: each reader of the backbone reads every hub with its own group.
  consumer_groups = { for pair in setproduct(keys(var.hubs), var.consumer_groups) : "${pair[0]}/${pair[1]}" => { hub = pair[0], name = pair[1] } }
}

resource "azurerm_eventhub_namespace" "scout" {
  name                          = "${var.name}-events"
  location                      = var.location
  resource_group_name           = local.resource_group_name
  sku                           = "Standard" # the Kafka endpoint and Capture need Standard or higher
  capacity                      = var.throughput_units
  auto_inflate_enabled          = var.auto_inflate_max_throughput_units > 0
  maximum_throughput_units      = var.auto_inflate_max_throughput_units > 0 ? var.auto_inflate_max_throughput_units : null
  minimum_tls_version           = "1.2"
  local_authentication_enabled  = var.local_auth_enabled
  public_network_access_enabled = true # devices in stores publish over the internet (AMQP over TLS)
  tags                          = var.tags

  identity {
    type = "SystemAssigned" # Capture writes to the storage account as this identity
  }
}

resource "azurerm_eventhub" "hub" {
  for_each          = var.hubs
  name              = each.key
  namespace_id      = azurerm_eventhub_namespace.scout.id
  partition_count   = each.value.partitions
  message_retention = each.value.retention_days

  # Every hub is archived as Avro: bronze can be replayed beyond the hub's retention.
  capture_description {
    enabled             = true
    encoding            = "Avro"
    interval_in_seconds = var.capture_interval_seconds
    size_limit_in_bytes = 314572800
    skip_empty_archives = true
    destination {
      name                = "EventHubArchive.AzureBlockBlob"
      archive_name_format = "{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}"
      blob_container_name = azurerm_storage_container.capture.name
      storage_account_id  = azurerm_storage_account.capture.id
    }
  }
}

resource "azurerm_eventhub_consumer_group" "reader" {
  for_each            = local.consumer_groups
  name                = each.value.name
  namespace_name      = azurerm_eventhub_namespace.scout.name
  eventhub_name       = azurerm_eventhub.hub[each.value.hub].name
  resource_group_name = local.resource_group_name
}

# Least privilege: the devices may only send, Spark may only listen; nobody here manages.
resource "azurerm_eventhub_namespace_authorization_rule" "devices" {
  name                = "devices-send"
  namespace_name      = azurerm_eventhub_namespace.scout.name
  resource_group_name = local.resource_group_name
  send                = true
  listen              = false
  manage              = false
}

resource "azurerm_eventhub_namespace_authorization_rule" "spark" {
  name                = "spark-listen"
  namespace_name      = azurerm_eventhub_namespace.scout.name
  resource_group_name = local.resource_group_name
  send                = false
  listen              = true
  manage              = false
}
