# The connection strings live in Key Vault, never in outputs: the devices' (send) and Spark's (listen).
resource "azurerm_key_vault" "scout" {
  name                          = "${var.name}-kv"
  location                      = var.location
  resource_group_name           = local.resource_group_name
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "standard"
  purge_protection_enabled      = true
  soft_delete_retention_days    = 90
  rbac_authorization_enabled    = true
  public_network_access_enabled = true # read by Databricks and the Airflow deployment from outside a VNet
  tags                          = var.tags

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
  }
  #checkov:skip=CKV2_AZURE_32:Read by Databricks and Astronomer, which reach it as trusted services, not over a private endpoint.
  #checkov:skip=CKV_AZURE_189:Databricks and Astronomer read it from outside a VNet; the ACL denies all but trusted services.
}

resource "azurerm_key_vault_secret" "devices" {
  name            = "eventhubs-devices-connection-string"
  value           = azurerm_eventhub_namespace_authorization_rule.devices.primary_connection_string
  key_vault_id    = azurerm_key_vault.scout.id
  content_type    = "text/plain; Event Hubs connection string (send)"
  expiration_date = timeadd(plantimestamp(), "${var.secret_lifetime_hours}h")
  lifecycle {
    ignore_changes = [expiration_date]
  }
}

resource "azurerm_key_vault_secret" "spark" {
  name            = "eventhubs-connection-string"
  value           = azurerm_eventhub_namespace_authorization_rule.spark.primary_connection_string
  key_vault_id    = azurerm_key_vault.scout.id
  content_type    = "text/plain; Event Hubs connection string (listen)"
  expiration_date = timeadd(plantimestamp(), "${var.secret_lifetime_hours}h")
  lifecycle {
    ignore_changes = [expiration_date]
  }
}
