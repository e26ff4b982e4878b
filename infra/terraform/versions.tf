# Scout's event backbone on Azure: the Event Hubs the devices publish to and Spark reads (Kafka endpoint),
# Capture of every hub to ADLS Gen2 (Avro), and the connection strings in Key Vault.
terraform {
  required_version = ">= 1.6"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }
}

provider "azurerm" {
  features {
    key_vault {
      purge_soft_delete_on_destroy = false
    }
  }
}
