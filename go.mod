module github.com/multiarch/hellorld

go 1.24
