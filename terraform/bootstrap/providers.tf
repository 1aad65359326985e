# The bootstrap runs once, by a person with administrator credentials, before any pipeline exists; its own
# state stays local (it creates the bucket the other states go to), so keep terraform.tfstate safe.
provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}
