# Capture's destination: an ADLS Gen2 account (hierarchical namespace) with one private container.
resource "azurerm_storage_account" "capture" {
  name                            = "${var.name}capture"
  resource_group_name             = local.resource_group_name
  location                        = var.location
  account_tier                    = "Standard"
  account_replication_type        = "GRS"
  account_kind                    = "StorageV2"
  is_hns_enabled                  = true
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = false # Capture writes with the namespace's identity, readers with Entra ID
  public_network_access_enabled   = true  # Event Hubs Capture writes from Azure's network; the firewall lets trusted services in
  local_user_enabled              = false
  tags                            = var.tags

  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices"]
  }

  blob_properties {
    delete_retention_policy {
      days = 30
    }
    container_delete_retention_policy {
      days = 30
    }
  }

  sas_policy {
    expiration_period = "01.00:00:00"
  }

  #checkov:skip=CKV2_AZURE_1:Microsoft-managed keys: the captured events hold no more than the hubs themselves.
  #checkov:skip=CKV2_AZURE_33:Capture writes from Azure's network as a trusted service, not through a private endpoint.
  #checkov:skip=CKV_AZURE_59:Public access is denied by the network rules; only trusted Azure services (Capture) get in.
  #checkov:skip=CKV_AZURE_33:No queues in this account: queue logging does not apply.
}

resource "azurerm_storage_container" "capture" {
  name                  = "capture"
  storage_account_id    = azurerm_storage_account.capture.id
  container_access_type = "private"
  #checkov:skip=CKV2_AZURE_21:Blob read logging is configured with the workspace's diagnostic settings, outside this module.
}

# Capture writes as the namespace's managed identity (the account takes no shared keys).
resource "azurerm_role_assignment" "capture_writer" {
  scope                = azurerm_storage_account.capture.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_eventhub_namespace.scout.identity[0].principal_id
}
