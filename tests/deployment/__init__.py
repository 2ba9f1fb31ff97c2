"""Deployment files run or validated for real: HAProxy, Kubernetes manifests."""
