package server

import "net/http"

func mountPlayground(mux *http.ServeMux) {}
