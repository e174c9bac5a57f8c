"""Use cases per feature; routers call these, these call kube/, aws/, db and domain/."""
