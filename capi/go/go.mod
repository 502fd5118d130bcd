module meshsec.local/capi

go 1.19
